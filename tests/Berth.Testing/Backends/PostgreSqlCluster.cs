using System.Diagnostics;
using System.Net;
using Npgsql;

namespace Berth.Testing.Backends;

/// <summary>
/// A private PostgreSQL server for tests: its own cluster (initdb) in a temporary folder, on a free
/// loopback port, removed at the end — also when the test process exits or is killed (a watchdog
/// shell stops it). Tests get a fresh database each with <see cref="CreateDatabaseAsync"/>, which
/// takes milliseconds where a new cluster takes seconds. Fault tests stop and start the server.
/// </summary>
public sealed class PostgreSqlCluster : IAsyncDisposable
{
    /// <summary>The cluster's superuser; trust authentication on loopback, so no password.</summary>
    public const string User = "berth";

    private static readonly Lazy<Task<PostgreSqlCluster>> SharedCluster = new(() => StartAsync());
    private static int _databaseCounter;

    private readonly string _binaries;
    private readonly string? _runAs;
    private readonly string _dataFolder;
    private Process? _watchdog;
    private int _disposed;

    private PostgreSqlCluster(string binaries, string? runAs, string folder, int port)
    {
        _binaries = binaries;
        _runAs = runAs;
        Folder = folder;
        _dataFolder = Path.Combine(folder, "data");
        Port = port;
    }

    /// <summary>The temporary folder holding the cluster, its socket and its log.</summary>
    public string Folder { get; }

    public int Port { get; private set; }

    public bool IsRunning { get; private set; }

    /// <summary>
    /// One cluster for the whole test process, started on first use. Tests that stop the server must
    /// start their own with <see cref="StartAsync"/> instead.
    /// </summary>
    public static Task<PostgreSqlCluster> SharedAsync() => SharedCluster.Value;

    /// <param name="durable">
    /// Keep fsync and full-page writes on, for tests that cut power rather than kill processes. Off by
    /// default: a test cluster is thrown away, and without fsync it is several times faster.
    /// </param>
    public static async Task<PostgreSqlCluster> StartAsync(bool durable = false)
    {
        var binaries = FindBinaries();
        var runAs = Environment.IsPrivilegedProcess ? UnprivilegedUser() : null;
        var folder = Path.Combine(Path.GetTempPath(), "berth-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var cluster = new PostgreSqlCluster(binaries, runAs, folder, FreePort.Next());
        try
        {
            // initdb refuses to run as root: the cluster belongs to an unprivileged user, who must own the folder.
            if (runAs is not null) await RunAsync("chown", ["-R", runAs, folder], runAs: null);
            cluster.ArmWatchdog();
            await cluster.RunToolAsync("initdb", ["-D", cluster._dataFolder, "-U", User, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"]);
            var settings = new List<string>
            {
                "listen_addresses = '127.0.0.1'",
                $"unix_socket_directories = '{folder}'",
                "max_connections = 300",
                "shared_buffers = 32MB",
                "max_locks_per_transaction = 256",
            };
            // Without fsync a commit still reaches the OS before it is acknowledged, so an immediate stop
            // (a server crash) loses nothing; only a machine crash would. synchronous_commit stays on for that reason.
            if (!durable) settings.AddRange(["fsync = off", "full_page_writes = off"]);
            await File.AppendAllLinesAsync(Path.Combine(cluster._dataFolder, "postgresql.conf"), settings);
            await cluster.StartWithPortRetryAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/> over TCP on loopback.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = IPAddress.Loopback.ToString(),
        Port = Port,
        Username = User,
        Database = database,
        // Fail fast when the server is stopped, as fault tests expect a prompt 503.
        Timeout = 5,
    }.ConnectionString;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _databaseCounter)}_{Guid.NewGuid().ToString("N")[..8]}".ToLowerInvariant();
        // Generous timeouts: under a loaded machine creating a database can take longer than the fast-fail
        // connection timeout the stores are given.
        await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false;Timeout=60;Command Timeout=120");
        await connection.OpenAsync();
        // FILE_COPY copies the tiny template's files instead of WAL-logging every block: much faster.
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE template0 STRATEGY FILE_COPY", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Drops a database made by <see cref="CreateDatabaseAsync"/>, closing its remaining connections.</summary>
    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"")}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Stops the server; with <paramref name="immediate"/>, without a shutdown checkpoint (as a crash
    /// would, recovery runs on the next start). Clients then get connection failures.
    /// </summary>
    public async Task StopAsync(bool immediate = false)
    {
        await RunToolAsync("pg_ctl", ["-D", _dataFolder, "-m", immediate ? "immediate" : "fast", "-w", "stop"]);
        IsRunning = false;
    }

    /// <summary>Starts the server again on the same port, so existing connection strings work again.</summary>
    public async Task StartAsync()
    {
        await RunToolAsync("pg_ctl", ["-D", _dataFolder, "-l", Path.Combine(Folder, "server.log"), "-o", $"-p {Port}", "-w", "-t", "60", "start"]);
        IsRunning = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (IsRunning) await StopAsync(immediate: true);
        }
        catch (InvalidOperationException)
        {
            // Already stopped; the folder goes anyway.
        }
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        if (_watchdog is { HasExited: false }) _watchdog.Kill();
        _watchdog?.Dispose();
    }

    private async Task StartWithPortRetryAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Another process took the port between probing and binding: try another one.
                Port = FreePort.Next();
            }
        }
    }

    /// <summary>
    /// A shell that outlives this process only long enough to stop the server and remove the folder
    /// when the test process exits without disposing the cluster (a crash, kill -9, a cancelled run).
    /// </summary>
    private void ArmWatchdog()
    {
        var stop = Command("pg_ctl", ["-D", _dataFolder, "-m", "immediate", "-w", "stop"]);
        var script = $"exec >/dev/null 2>&1 </dev/null; while kill -0 {Environment.ProcessId}; do sleep 1; done; "
            + $"{string.Join(' ', new[] { stop.File }.Concat(stop.Arguments).Select(Quote))}; rm -rf {Quote(Folder)}";
        var start = new ProcessStartInfo("setsid", ["sh", "-c", script]) { UseShellExecute = false };
        _watchdog = Process.Start(start);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private Task RunToolAsync(string tool, IReadOnlyList<string> arguments)
    {
        var (file, commandArguments) = Command(tool, arguments);
        return RunAsync(file, commandArguments, runAs: null);
    }

    private (string File, IReadOnlyList<string> Arguments) Command(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_binaries, tool);
        return _runAs is null ? (path, arguments) : ("runuser", ["-u", _runAs, "--", path, .. arguments]);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, string? runAs)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    /// <summary>
    /// The newest PostgreSQL server binaries installed: Debian and Ubuntu put each major version under
    /// /usr/lib/postgresql/N/bin; elsewhere initdb is usually on PATH.
    /// </summary>
    private static string FindBinaries()
    {
        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(version => (Version: int.TryParse(Path.GetFileName(version), out var major) ? major : 0, Bin: Path.Combine(version, "bin")))
                .Where(candidate => File.Exists(Path.Combine(candidate.Bin, "initdb")))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => candidate.Bin)
                .FirstOrDefault();
            if (newest is not null) return newest;
        }
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(folder => File.Exists(Path.Combine(folder, "initdb")));
        return onPath ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; install them (Debian: apt-get install postgresql)");
    }

    /// <summary>The account the cluster runs as when the tests run as root: the packaged "postgres" user, else "nobody".</summary>
    private static string UnprivilegedUser() =>
        File.ReadLines("/etc/passwd").Any(line => line.StartsWith("postgres:", StringComparison.Ordinal)) ? "postgres" : "nobody";

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";
}
