using System.Diagnostics;
using System.Globalization;

namespace Berth.Interop.Tests.Support;

/// <summary>
/// A private Docker engine (Debian's docker.io): its own data root, exec root, pid file, key file and unix
/// socket in the sandbox, an empty daemon.json instead of the machine's, no iptables rules, no bridge and vfs
/// storage (no overlay mounts). It runs in a private mount namespace with /run shadowed by a sandbox folder,
/// because dockerd and the containerd it starts put their plugin folder and shim sockets there whatever their
/// roots are; every mount they make lives and dies with that namespace. It leads a process group of its own so
/// that it can be killed as a whole without touching the test host.
/// </summary>
public sealed class Dockerd : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly Sandbox _sandbox;
    private readonly BackgroundProcess _daemon;
    private readonly string _folder;

    private Dockerd(Sandbox sandbox, BackgroundProcess daemon, string folder)
    {
        _sandbox = sandbox;
        _daemon = daemon;
        _folder = folder;
    }

    /// <summary>"unix:///…/docker.sock", for docker -H.</summary>
    public string Address => "unix://" + Path.Combine(_folder, "docker.sock");

    public string Log => _daemon.Log;

    public static async Task<Dockerd> StartAsync(Sandbox sandbox)
    {
        // Checked first, so a missing client fails naming its package rather than after the engine started.
        ThirdPartyClient.Docker.Resolve();
        var folder = sandbox.Folder("docker");
        var config = Path.Combine(folder, "daemon.json");
        // Otherwise the engine writes its identity key to /etc/docker/key.json (a setting with no flag in 20.10).
        File.WriteAllText(config, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["deprecated-key-path"] = Path.Combine(folder, "key.json"),
        }));
        var daemon = sandbox.StartDaemon(ThirdPartyClient.Dockerd,
        [
            "--config-file", config,
            "--data-root", sandbox.Folder("docker/data"),
            "--exec-root", sandbox.Folder("docker/exec"),
            "--pidfile", Path.Combine(folder, "dockerd.pid"),
            "-H", "unix://" + Path.Combine(folder, "docker.sock"),
            "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
        ], alsoShadowed: ["/run"], ownSession: true);
        var engine = sandbox.Own(new Dockerd(sandbox, daemon, folder));
        await daemon.WaitForLineAsync(l => l.Contains("API listen on"), StartTimeout, "that its API is listening");
        return engine;
    }

    /// <summary>A docker CLI configuration folder (DOCKER_CONFIG) of its own: its logins are nobody else's.</summary>
    public string NewClientConfig(string name) => _sandbox.Folder($"docker-client-{name}-{Guid.NewGuid().ToString("N")[..8]}");

    /// <summary>Runs the docker CLI against this engine and fails the test, showing its output, if it exits non-zero.</summary>
    public async Task<CommandResult> DockerAsync(string clientConfig, IEnumerable<string> arguments, string? standardInput = null)
    {
        var result = await TryDockerAsync(clientConfig, arguments, standardInput);
        if (result.ExitCode != 0) throw new CommandFailedException(result.Describe() + "\n--- dockerd ---\n" + Tail(Log));
        return result;
    }

    public Task<CommandResult> TryDockerAsync(string clientConfig, IEnumerable<string> arguments, string? standardInput = null) =>
        _sandbox.TryRunAsync(ThirdPartyClient.Docker, ["-H", Address, .. arguments],
            environment: new Dictionary<string, string> { ["DOCKER_CONFIG"] = clientConfig }, standardInput: standardInput);

    public async ValueTask DisposeAsync()
    {
        // SIGTERM first: dockerd then stops its containers and the containerd it started, which runs in a
        // session of its own and would outlive a kill of dockerd's group.
        if (!_daemon.HasExited)
        {
            var stopped = _daemon.StopAsync();
            await Task.WhenAny(stopped, Task.Delay(StopTimeout));
        }
        if (!_daemon.HasExited) await KillAsync("-KILL", "--", "-" + _daemon.Id.ToString(CultureInfo.InvariantCulture));
        // Whatever is still running for this engine (containerd, a shim) names its folder on its command line.
        foreach (var leftover in ProcessesMentioning(_folder))
        {
            await KillAsync("-KILL", leftover.ToString(CultureInfo.InvariantCulture));
        }
        // The sandbox deletes the folders; its mounts went with the mount namespace once its last process ended.
    }

    private static IEnumerable<int> ProcessesMentioning(string text)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (commandLine.Contains(text, StringComparison.Ordinal)) yield return pid;
        }
    }

    private static async Task KillAsync(params string[] arguments)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", arguments) { UseShellExecute = false, RedirectStandardError = true });
        if (kill is not null) await kill.WaitForExitAsync();
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : "…" + text[^6000..];
}
