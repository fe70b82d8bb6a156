using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Client.Tests.Support;

/// <summary>
/// A token service as the Docker token spec describes it (GET realm?service=&amp;scope=, Basic
/// credentials, {"token": JWT}), issuing RS256 JWTs with the signing certificate in the x5c header,
/// which a real CNCF Distribution configured with <c>auth.token.rootcertbundle</c> verifies. It grants
/// whatever repository scopes a client with the right password asks for, and records each request.
/// </summary>
public sealed class TestTokenService : IDisposable
{
    public const string Service = "berth-test-registry";
    public const string Issuer = "berth-test-issuer";

    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly Task _loop;
    private readonly List<string> _requests = [];

    public TestTokenService(string username, string password)
    {
        Username = username;
        Password = password;
        var request = new CertificateRequest("CN=berth test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Port = Berth.Testing.Backends.FreePort.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = ServeAsync();
    }

    public string Username { get; }

    public string Password { get; }

    public int Port { get; }

    public string Realm => $"http://127.0.0.1:{Port}/token";

    public string CertificatePem => _certificate.ExportCertificatePem();

    /// <summary>The query strings of the token requests that carried valid credentials.</summary>
    public IReadOnlyList<string> GrantedRequests
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                Answer(context);
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    private void Answer(HttpListenerContext context)
    {
        var authorization = context.Request.Headers["Authorization"];
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
        if (authorization != expected)
        {
            context.Response.StatusCode = 401;
            return;
        }
        lock (_requests) _requests.Add(context.Request.Url?.Query ?? "");
        var scopes = context.Request.QueryString.GetValues("scope") ?? [];
        var access = new JsonArray();
        foreach (var scope in scopes.SelectMany(s => s.Split(' ')))
        {
            // repository:<name>:<actions>; the name itself has no ':' (the tag grammar is not involved).
            var parts = scope.Split(':');
            if (parts.Length != 3) continue;
            access.Add(new JsonObject
            {
                ["type"] = parts[0],
                ["name"] = parts[1],
                ["actions"] = new JsonArray([.. parts[2].Split(',').Select(a => (JsonNode?)a)]),
            });
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new { token = Issue(access), expires_in = 300 });
        context.Response.ContentType = "application/json";
        context.Response.OutputStream.Write(body);
    }

    private string Issue(JsonArray access)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new JsonObject
        {
            ["typ"] = "JWT",
            ["alg"] = "RS256",
            ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)),
        };
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["sub"] = Username,
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        };
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (ObjectDisposedException)
        {
        }
        _certificate.Dispose();
        _key.Dispose();
    }
}

/// <summary>Distribution requiring Bearer tokens from <see cref="TestTokenService"/>.</summary>
public sealed class TokenAuthDistributionFixture : DistributionRegistryFixture
{
    public TestTokenService Tokens { get; } = new("alice", "wonderland");

    protected override string ExtraConfiguration(string root)
    {
        var bundle = Path.Combine(root, "token-issuer.pem");
        File.WriteAllText(bundle, Tokens.CertificatePem);
        return $"""
            auth:
              token:
                realm: {Tokens.Realm}
                service: {TestTokenService.Service}
                issuer: {TestTokenService.Issuer}
                rootcertbundle: {bundle}
            """;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Tokens.Dispose();
    }
}
