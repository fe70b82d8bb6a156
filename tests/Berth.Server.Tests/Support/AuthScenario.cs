using System.Net.Http.Headers;
using System.Text;
using Berth.Auth;
using Berth.Auth.Access;
using Berth.Oci.Auth;
using Berth.Auth.Users;

namespace Berth.Server.Tests.Support;

/// <summary>
/// The users and rules the auth tests share:
/// alice may do everything under team/**; rita (group "readers") may pull team/**; oscar may do everything
/// under other/**; anybody may pull public/**. Hashes use bcrypt cost 4 to keep the tests fast.
/// </summary>
public static class AuthScenario
{
    public const string Service = "berth-test";

    public static readonly (string User, string Password) Alice = ("alice", "alice-secret");
    public static readonly (string User, string Password) Rita = ("rita", "rita-secret");
    public static readonly (string User, string Password) Oscar = ("oscar", "oscar-secret");

    private static readonly Lazy<IReadOnlyList<ConfiguredUser>> Users = new(() =>
    [
        new ConfiguredUser { Name = Alice.User, PasswordHash = BcryptPassword.Hash(Alice.Password, 4) },
        new ConfiguredUser { Name = Rita.User, PasswordHash = BcryptPassword.Hash(Rita.Password, 4) },
        new ConfiguredUser { Name = Oscar.User, PasswordHash = BcryptPassword.Hash(Oscar.Password, 4) },
    ]);

    public static AuthOptions Options => new()
    {
        Service = Service,
        Users = Users.Value,
        Groups = new Dictionary<string, IReadOnlyList<string>> { ["readers"] = [Rita.User] },
        Access =
        [
            new AccessRule { Repositories = "team/**", Users = [Alice.User], Actions = ["*"] },
            new AccessRule { Repositories = "team/**", Groups = ["readers"], Actions = ["pull"] },
            new AccessRule { Repositories = "other/**", Users = [Oscar.User], Actions = ["pull", "push", "delete"] },
            new AccessRule { Repositories = "public/**", Anonymous = true, Actions = ["pull"] },
        ],
    };

    public static Task<InProcessBerth> StartAsync(Func<AuthOptions, AuthOptions>? configure = null, TimeProvider? time = null) =>
        InProcessBerth.StartAsync(server: options => options with { Auth = configure is null ? Options : configure(Options) }, time: time);

    public static AuthenticationHeaderValue Basic((string User, string Password) user) =>
        Basic(user.User, user.Password);

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    /// <summary>A token of the registry's own service, minted directly (as the token endpoint would).</summary>
    public static string Token(this InProcessBerth registry, string subject, DateTimeOffset? issuedAt = null, params AccessScope[] access) =>
        registry.Auth!.Issuer.IssueAccess(subject, access, issuedAt).Token;

    /// <summary>An HttpClient on the registry that sends the given credentials with every request.</summary>
    public static HttpClient ClientAs(this InProcessBerth registry, AuthenticationHeaderValue? credentials)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = registry.Address };
        client.DefaultRequestHeaders.Authorization = credentials;
        return client;
    }

    /// <summary>The JSON error code of a response ("" when there is no JSON error body).</summary>
    public static async Task<string> ErrorCodeIfAnyAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (body.Length == 0 || body[0] != '{') return "";
        using var document = System.Text.Json.JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0
            ? errors[0].GetProperty("code").GetString() ?? ""
            : "";
    }
}
