using Berth.Storage.Configuration;
using System.Diagnostics;
using System.Net.Sockets;
using Berth.Storage.ObjectStores.Azure;

namespace Berth.Testing.Backends;

/// <summary>
/// A private Azurite blob service (npm "azurite", installed globally) on 127.0.0.1, a free port and a
/// temporary folder; stopped and removed on dispose, killed if the test process dies.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented by Microsoft).</summary>
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly string _folder;
    private Daemon? _daemon;

    private readonly string _program;
    private readonly string[] _prefixArguments;

    private Azurite(string folder, string program, string[] prefixArguments)
    {
        _folder = folder;
        _program = program;
        _prefixArguments = prefixArguments;
    }

    public int Port { get; private set; }

    public string ServiceUri => $"http://127.0.0.1:{Port}/{AccountName}";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={ServiceUri};";

    public AzureStorageOptions StorageOptions(string container, string keyPrefix = "") => new()
    {
        Container = container,
        ConnectionString = ConnectionString,
        KeyPrefix = keyPrefix,
        MaxRetries = 1,
    };

    public static async Task<Azurite> StartAsync(CancellationToken cancellationToken = default)
    {
        var (program, prefix) = await FindProgramAsync(cancellationToken);
        var azurite = new Azurite(Directory.CreateTempSubdirectory("berth-azurite-").FullName, program, prefix);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                azurite.Port = FreePort.Next();
                if (await azurite.LaunchAsync(cancellationToken)) return azurite;
                if (attempt == 5) throw new InvalidOperationException($"azurite-blob did not start:\n{azurite._daemon?.LogTail()}");
            }
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9: the blob endpoint stops answering, for fault tests. Azurite loses what it had not saved yet.</summary>
    public void Kill() => _daemon?.Kill();

    /// <summary>SIGTERM: the blob endpoint stops answering, and Azurite saves its state for <see cref="RestartAsync"/>.</summary>
    public Task StopAsync() => _daemon?.StopAsync(TimeSpan.FromSeconds(10)) ?? Task.CompletedTask;

    /// <summary>Starts Azurite again on the same port and folder; what it had stored is still there.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        if (_daemon is { HasExited: false }) return;
        if (!await LaunchAsync(cancellationToken)) throw new InvalidOperationException($"azurite-blob did not restart:\n{_daemon!.LogTail()}");
    }

    private Task<bool> LaunchAsync(CancellationToken cancellationToken)
    {
        _daemon = Daemon.Start("azurite-blob", _program,
            [.. _prefixArguments, "--blobHost", "127.0.0.1", "--blobPort", Port.ToString(), "--location", _folder, "--skipApiVersionCheck", "--loose"],
            Path.Combine(_folder, "azurite.log"));
        return WaitUntilListeningAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_daemon is not null) await _daemon.StopAsync(TimeSpan.FromSeconds(5));
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<bool> WaitUntilListeningAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_daemon!.HasExited) return false;
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port, cancellationToken);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
        throw new TimeoutException("azurite-blob did not listen within 30 s");
    }

    /// <summary>azurite-blob on PATH, or in the global npm folder (`npm root -g`).</summary>
    private static async Task<(string Program, string[] Prefix)> FindProgramAsync(CancellationToken cancellationToken)
    {
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, "azurite-blob");
            if (File.Exists(candidate)) return (candidate, []);
        }
        var start = new ProcessStartInfo("npm", ["root", "-g"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var npm = Process.Start(start) ?? throw new InvalidOperationException("azurite-blob is not on PATH and npm is missing");
        var root = (await npm.StandardOutput.ReadToEndAsync(cancellationToken)).Trim();
        await npm.WaitForExitAsync(cancellationToken);
        var script = Path.Combine(root, "azurite", "dist", "src", "blob", "main.js");
        return File.Exists(script) ? ("node", [script]) : throw new InvalidOperationException("azurite-blob not found: npm install -g azurite");
    }
}
