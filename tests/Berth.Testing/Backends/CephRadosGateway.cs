using Berth.Storage.Configuration;
using System.Diagnostics;
using Berth.Storage.ObjectStores.S3;

namespace Berth.Testing.Backends;

/// <summary>
/// A throw-away single-node Ceph cluster with the RADOS Gateway (a real S3 engine) on 127.0.0.1: one
/// mon, one OSD on the memstore object store, radosgw with the beast frontend, all in a temporary
/// folder and on free ports. Starts in about two seconds. Needs Debian's radosgw, ceph-mon and ceph-osd
/// (no ceph-mgr). Works as root or as any user that can write the temporary folder.
/// </summary>
public sealed class CephRadosGateway : IAsyncDisposable
{
    public const string AccessKey = "testaccesskey0000000";
    public const string SecretKey = "testsecretkey000000000000000000000000000";
    public const string Region = "us-east-1";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string _folder;
    private readonly string _config;
    private readonly List<Daemon> _daemons = [];
    private Daemon? _gateway;
    private int _gatewayPort;

    private CephRadosGateway(string folder)
    {
        _folder = folder;
        _config = Path.Combine(folder, "ceph.conf");
    }

    /// <summary>The S3 endpoint, e.g. http://127.0.0.1:41234.</summary>
    public string Endpoint => $"http://127.0.0.1:{_gatewayPort}";

    /// <summary>How long the start took, for the record.</summary>
    public TimeSpan StartDuration { get; private set; }

    /// <summary>S3 storage options for a bucket on this gateway, with the settings RGW 16 needs.</summary>
    public S3StorageOptions StorageOptions(string bucket, string keyPrefix = "") => new()
    {
        Bucket = bucket,
        ServiceUrl = Endpoint,
        Region = Region,
        ForcePathStyle = true,
        AccessKeyId = AccessKey,
        SecretAccessKey = SecretKey,
        KeyPrefix = keyPrefix,
        MaxErrorRetry = 1,
        RequestTimeout = TimeSpan.FromSeconds(30),
    };

    /// <param name="memstoreBytes">
    /// Capacity the memstore OSD reports. memstore keeps object data in RAM (about 2.5 times what is
    /// written; deleted data is reclaimed only after 2 hours), so a suite that writes a lot needs room.
    /// </param>
    /// <param name="bluestore">
    /// Store object data with bluestore in a 10 GiB sparse file in the temporary folder instead of RAM
    /// (about 6 s to start): for benchmarks and suites that write gigabytes.
    /// </param>
    public static async Task<CephRadosGateway> StartAsync(long memstoreBytes = 4L << 30, bool bluestore = false, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var folder = Directory.CreateTempSubdirectory("berth-ceph-").FullName;
        var gateway = new CephRadosGateway(folder);
        try
        {
            await gateway.BootstrapAsync(memstoreBytes, bluestore, clock, cancellationToken);
            gateway.StartDuration = clock.Elapsed;
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    private async Task BootstrapAsync(long memstoreBytes, bool bluestore, Stopwatch clock, CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + StartTimeout;
        var fsid = Guid.NewGuid().ToString();
        var monPort = FreePort.Next();
        foreach (var sub in new[] { "run", "log", "crash", "mon.a", "osd.0", "rgw" }) Directory.CreateDirectory(Path.Combine(_folder, sub));
        await File.WriteAllTextAsync(_config, Configuration(fsid, monPort, memstoreBytes, bluestore), cancellationToken);
        var keyring = Path.Combine(_folder, "keyring");
        var monmap = Path.Combine(_folder, "monmap");
        var setupLog = Path.Combine(_folder, "log", "setup.log");

        // --- mon
        await RunAsync("ceph-authtool", ["--create-keyring", "--gen-key", "--name=mon.", keyring, "--cap", "mon", "allow *"], setupLog, cancellationToken);
        await RunAsync("monmaptool", ["--create", "--clobber", "--fsid", fsid, "--addv", "a", $"[v2:127.0.0.1:{monPort}]", monmap], setupLog, cancellationToken);
        await RunAsync("ceph-mon", ["-c", _config, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring], setupLog, cancellationToken);
        _daemons.Add(Daemon.Start("mon.a", "ceph-mon", ["-c", _config, "-i", "a", "-f"], Log("mon.a.out")));

        // --- osd
        var osdUuid = Guid.NewGuid().ToString();
        var osdId = (await RunAsync("ceph", ["-c", _config, "--connect-timeout", "20", "osd", "new", osdUuid], setupLog, cancellationToken)).Trim();
        await RunAsync("ceph-osd", ["-c", _config, "-i", osdId, "--mkfs", "--osd-uuid", osdUuid], setupLog, cancellationToken);
        _daemons.Add(Daemon.Start($"osd.{osdId}", "ceph-osd", ["-c", _config, "-i", osdId, "-f"], Log($"osd.{osdId}.out")));
        // radosgw started before the OSD is up stalls ~5 s in objecter retries: wait for "up" first.
        await WaitForAsync("the OSD to be up", deadline, clock, async () =>
            (await TryRunAsync("ceph", ["-c", _config, "--connect-timeout", "5", "osd", "stat", "-f", "json"], cancellationToken))
                ?.Contains("\"num_up_osds\":1", StringComparison.Ordinal) == true, cancellationToken);

        // The S3 user first: radosgw-admin works without a running rgw (it creates realm, zone and pools
        // itself), and with no rgw watching yet it needs no cache-invalidation notify round.
        await RunAsync("radosgw-admin", ["-c", _config, "user", "create", "--uid=test", "--display-name=test",
            $"--access-key={AccessKey}", $"--secret-key={SecretKey}"], setupLog, cancellationToken);

        // --- rgw: the port is picked before radosgw binds it; another process may take it meanwhile
        // (radosgw then exits with "failed to bind"): retry on a new port.
        for (var attempt = 1; ; attempt++)
        {
            _gatewayPort = FreePort.Next();
            _gateway = Daemon.Start("rgw", "radosgw", ["-c", _config, "-n", "client.rgw", "-f", "--rgw-frontends", $"beast endpoint=127.0.0.1:{_gatewayPort}"], Log("rgw.out"));
            _daemons.Add(_gateway);
            try
            {
                await WaitForAsync("radosgw to answer HTTP", deadline, clock, () => AnswersHttpAsync(cancellationToken), cancellationToken);
                break;
            }
            catch (InvalidOperationException) when (attempt < 5 && _gateway.HasExited)
            {
                _daemons.Remove(_gateway);
            }
        }

        // The first signed request also makes rgw create its lazily made index and data pools now.
        using var warmUp = new S3Bucket(StorageOptions("warm-up-" + Guid.NewGuid().ToString("N")[..8]));
        await WaitForAsync("the first S3 request", deadline, clock, async () =>
        {
            try
            {
                await warmUp.EnsureExistsAsync(cancellationToken);
                await warmUp.Client.DeleteBucketAsync(warmUp.Name, cancellationToken);
                return true;
            }
            catch (Exception e) when (e is Storage.StorageUnavailableException or Amazon.Runtime.AmazonServiceException)
            {
                return false;
            }
        }, cancellationToken);
    }

    private string Configuration(string fsid, int monPort, long memstoreBytes, bool bluestore) => $"""
        [global]
        fsid = {fsid}
        mon host = v2:127.0.0.1:{monPort}
        public addr = 127.0.0.1
        cluster addr = 127.0.0.1
        ms bind msgr1 = false
        ms bind ipv6 = false
        # RADOS-internal auth off (S3 requests are still signature-checked by rgw)
        auth cluster required = none
        auth service required = none
        auth client required = none
        mon allow pool delete = true
        mon allow pool size one = true
        mon warn on pool no redundancy = false
        mon max pg per osd = 1000
        osd pool default size = 1
        osd pool default min size = 1
        osd pool default pg num = 8
        osd pool default pgp num = 8
        osd pool default pg autoscale mode = off
        osd crush chooseleaf type = 0
        run dir = {_folder}/run
        admin socket = {_folder}/run/$name.asok
        log file = {_folder}/log/$name.log
        pid file = {_folder}/run/$name.pid
        keyring = {_folder}/keyring
        crash dir = {_folder}/crash
        log to stderr = false
        err to stderr = true
        [mon]
        mon data = {_folder}/mon.$id
        mon cluster log file = {_folder}/log/cluster.log
        mon data avail warn = 1
        mon data avail crit = 0
        # osdmap changes (osd boot, each pool rgw creates) are batched per paxos_propose_interval
        # (default 1 s, ~2 s per pool); a test cluster wants them at once: 13.5 s -> ~2 s start
        paxos propose interval = 0.01
        paxos min wait = 0.001
        [osd]
        osd data = {_folder}/osd.$id
        osd objectstore = {(bluestore ? "bluestore" : "memstore")}
        memstore device bytes = {memstoreBytes}
        bluestore block size = 10737418240
        bluestore block create = true
        bluestore fsck on mount = false
        osd memory target = 939524096
        bluestore cache autotune = false
        bluestore cache size = 134217728
        [client.rgw]
        # radosgw compiles in ms_mon_client_mode=secure and auth_client_required=cephx as its own
        # defaults; "secure" is impossible with auth none, so the mon handshake fails with -13 forever
        ms mon client mode = crc secure
        rgw data = {_folder}/rgw
        rgw thread pool size = 64
        rgw enable usage log = false

        """;

    /// <summary>kill -9 the gateway: the S3 endpoint stops answering (connection refused), for fault tests.</summary>
    public void KillGateway() => _gateway?.Kill();

    /// <summary>Starts the gateway again on the same port; the data (in the OSD) is still there.</summary>
    public async Task RestartGatewayAsync(CancellationToken cancellationToken = default)
    {
        if (_gateway is { HasExited: false }) return;
        if (_gateway is not null) _daemons.Remove(_gateway);
        _gateway = Daemon.Start("rgw", "radosgw", ["-c", _config, "-n", "client.rgw", "-f", "--rgw-frontends", $"beast endpoint=127.0.0.1:{_gatewayPort}"], Log("rgw.out"));
        _daemons.Add(_gateway);
        var clock = Stopwatch.StartNew();
        await WaitForAsync("radosgw to answer HTTP again", StartTimeout, clock, () => AnswersHttpAsync(cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Stops everything. Order matters: rgw first (with the OSD gone it waits rgw_exit_timeout_secs=120 s
    /// for its RADOS ops), then the OSD (with the mon gone it waits osd_mon_shutdown_timeout=5 s), then
    /// the mon. In this order the whole stop takes about half a second.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _daemons.Count - 1; i >= 0; i--) await _daemons[i].StopAsync(TimeSpan.FromSeconds(10));
        _daemons.Clear();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Log(string name) => Path.Combine(_folder, "log", name);

    private async Task<bool> AnswersHttpAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var response = await http.GetAsync(Endpoint + "/", cancellationToken);
            return true;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task WaitForAsync(string what, TimeSpan deadline, Stopwatch clock, Func<Task<bool>> ready, CancellationToken cancellationToken)
    {
        while (!await ready())
        {
            if (_daemons.FirstOrDefault(daemon => daemon.HasExited) is { } dead)
            {
                throw new InvalidOperationException($"Ceph: {dead.Name} exited while waiting for {what}:\n{dead.LogTail()}\n{CephLogTail(dead.Name)}");
            }
            if (clock.Elapsed > deadline) throw new TimeoutException($"Ceph: timed out waiting for {what}");
            await Task.Delay(50, cancellationToken);
        }
    }

    private string CephLogTail(string name)
    {
        var file = Path.Combine(_folder, "log", (name == "rgw" ? "client.rgw" : name) + ".log");
        return File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(15)) : "";
    }

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, string log, CancellationToken cancellationToken)
    {
        var (exitCode, output, errors) = await ExecuteAsync(program, arguments, cancellationToken);
        await File.AppendAllTextAsync(log, $"$ {program} {string.Join(' ', arguments)}\n{output}{errors}", cancellationToken);
        if (exitCode != 0) throw new InvalidOperationException($"Ceph: {program} {arguments.FirstOrDefault()} failed ({exitCode}): {errors}");
        return output;
    }

    private static async Task<string?> TryRunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output, _) = await ExecuteAsync(program, arguments, cancellationToken);
        return exitCode == 0 ? output : null;
    }

    private static async Task<(int ExitCode, string Output, string Errors)> ExecuteAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output, await errors);
    }
}
