namespace Berth.Interop.Tests.Support;

/// <summary>
/// A private containerd for <c>ctr</c> (which does everything through the daemon): its own root,
/// state, socket and opt folder in the sandbox, the CRI plugin off, started in the sandbox's mount
/// namespace and killed with it. <c>ctr</c> then uses the native snapshotter, which needs no kernel
/// mounts.
/// </summary>
public sealed class Containerd
{
    private readonly Sandbox _sandbox;
    private readonly string _socket;

    private Containerd(Sandbox sandbox, string socket)
    {
        _sandbox = sandbox;
        _socket = socket;
    }

    public const string Namespace = "berth-interop";

    public static async Task<Containerd> StartAsync(Sandbox sandbox)
    {
        var folder = sandbox.Folder("containerd");
        var socket = Path.Combine(folder, "containerd.sock");
        var config = Path.Combine(folder, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{sandbox.Folder("containerd/root")}"
            state = "{sandbox.Folder("containerd/state")}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]

            [grpc]
              address = "{socket}"

            [ttrpc]
              address = "{socket}.ttrpc"

            [debug]
              address = ""

            [metrics]
              address = ""

            [plugins."io.containerd.internal.v1.opt"]
              path = "{sandbox.Folder("containerd/opt")}"
            """);
        var daemon = sandbox.StartDaemon(ThirdPartyClient.Containerd, ["--config", config, "--log-level", "info"]);
        await daemon.WaitForLineAsync(l => l.Contains("containerd successfully booted"), TimeSpan.FromSeconds(60), "that it booted");
        return new Containerd(sandbox, socket);
    }

    public Task<CommandResult> CtrAsync(params string[] arguments) => CtrAsync(arguments, null);

    /// <summary>Runs ctr against this containerd; <paramref name="stdout"/> receives binary output (ctr content get).</summary>
    public Task<CommandResult> CtrAsync(IEnumerable<string> arguments, Stream? stdout) =>
        _sandbox.RunAsync(ThirdPartyClient.Ctr, ["--address", _socket, "--namespace", Namespace, .. arguments],
            environment: new Dictionary<string, string> { ["CONTAINERD_SNAPSHOTTER"] = "native" }, stdout: stdout);

    /// <summary>The SHA-256 of a blob in containerd's content store.</summary>
    public async Task<(string Digest, long Length)> HashContentAsync(string digest)
    {
        using var sink = new Sha256Sink();
        await CtrAsync(["content", "get", digest], sink);
        return (sink.Digest(), sink.Count);
    }
}
