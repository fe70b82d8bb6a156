using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Berth.Auth.Users;

namespace Berth.Operations.Tests;

/// <summary>
/// Config reload on the real <c>berth serve</c> (issue 15 item 6): a change of the config file or of the htpasswd file,
/// or SIGHUP, applies read-only mode, deletes, users and access rules without a restart; an invalid new config is
/// refused with the reason logged, and the running settings stay.
/// </summary>
public sealed class SettingsReloadTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ConfigFileChange_SwitchesReadOnly_AndAnInvalidConfigIsRefusedWithoutEffect()
    {
        using var folder = new TemporaryFolder("berth-reload");
        var config = folder.Sub("berth.json");
        await File.WriteAllTextAsync(config, """{"readOnly": false}""");
        await using var berth = await BerthProcess.StartAsync(new BerthProcessOptions
        {
            DataDirectory = folder.Sub("data"),
            Arguments = ["--config", config],
            LogLevel = "Information",
        });
        using var http = new HttpClient { BaseAddress = berth.Address };
        Assert.Equal(HttpStatusCode.Accepted, await StartUploadAsync(http));

        await File.WriteAllTextAsync(config, """{"readOnly": true}""");
        await UntilAsync(async () => await StartUploadAsync(http) == HttpStatusCode.MethodNotAllowed, berth, "read-only after the file changed");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/")).StatusCode);

        // A typo: refused as a whole, so read-only mode stays on.
        await File.WriteAllTextAsync(config, """{"readOnly": false, "readOnyl": true}""");
        await UntilAsync(() => Task.FromResult(berth.Lines.Any(l => l.Contains("refused, the running settings stay") && l.Contains("readOnyl"))),
            berth, "the refusal in the log");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, await StartUploadAsync(http));

        // A setting only a restart can change is reported, the rest applied.
        await File.WriteAllTextAsync(config, """{"readOnly": false, "logFormat": "json"}""");
        await UntilAsync(async () => await StartUploadAsync(http) == HttpStatusCode.Accepted, berth, "writable again");
        await UntilAsync(() => Task.FromResult(berth.Lines.Any(l => l.Contains("take effect at the next restart: logFormat"))), berth, "the restart notice");
    }

    [Fact]
    public async Task HtpasswdChangeAndSighup_ChangeUsersAndRules_WithoutARestart()
    {
        using var folder = new TemporaryFolder("berth-reload-auth");
        var htpasswd = folder.Sub("htpasswd");
        await File.WriteAllTextAsync(htpasswd, $"alice:{BcryptPassword.Hash("alice-password", 4)}\n");
        var config = folder.Sub("berth.json");
        await File.WriteAllTextAsync(config, Config(htpasswd, pushers: ["alice"]));
        await using var berth = await BerthProcess.StartAsync(new BerthProcessOptions
        {
            DataDirectory = folder.Sub("data"),
            Arguments = ["--config", config],
            LogLevel = "Information",
        });
        using var http = new HttpClient { BaseAddress = berth.Address };
        Assert.Equal(HttpStatusCode.Accepted, await StartUploadAsync(http, "alice", "alice-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, await StartUploadAsync(http, "bob", "bob-password"));

        // bob is added to the htpasswd file: the file's change is enough.
        await File.AppendAllTextAsync(htpasswd, $"bob:{BcryptPassword.Hash("bob-password", 4)}\n");
        await UntilAsync(async () => await StartUploadAsync(http, "bob", "bob-password") == HttpStatusCode.Forbidden, berth,
            "bob known (but not yet allowed to push)");

        // The rules change in the config file, written elsewhere and renamed over it (as config management does).
        var elsewhere = folder.Sub("berth.json.new");
        await File.WriteAllTextAsync(elsewhere, Config(htpasswd, pushers: ["bob"]));
        File.Move(elsewhere, config, overwrite: true);
        await UntilAsync(async () => await StartUploadAsync(http, "bob", "bob-password") == HttpStatusCode.Accepted, berth, "bob may push");
        // alice lost push: her verified password is not cached past the reload either.
        Assert.Equal(HttpStatusCode.Forbidden, await StartUploadAsync(http, "alice", "alice-password"));

        // SIGHUP reads everything again; without the handler it would end the process.
        Run("kill", "-s", "HUP", berth.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await UntilAsync(() => Task.FromResult(berth.Lines.Any(l => l.Contains("Settings reloaded after SIGHUP"))), berth, "reloaded on SIGHUP");
        Assert.False(berth.HasExited);
        Assert.Equal(HttpStatusCode.Accepted, await StartUploadAsync(http, "bob", "bob-password"));
    }

    private static string Config(string htpasswd, string[] pushers) =>
        System.Text.Json.JsonSerializer.Serialize(new
        {
            auth = new { htpasswd, access = new[] { new { repositories = "**", users = pushers, actions = new[] { "pull", "push" } } } },
        });

    private static async Task<HttpStatusCode> StartUploadAsync(HttpClient http, string? user = null, string? password = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v2/reload/app/blobs/uploads/");
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, BerthProcess berth, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > Patience) throw new TimeoutException($"not {what} after {Patience}\n{berth.Log}");
            await Task.Delay(100);
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
