using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Berth.BenchTool;

// Helpers for benchmarks/run.sh. Each command prints one "key=value" line per figure on stdout.
//   hash --algorithm sha256|sha512 --seconds S          single-thread streaming hash speed (MB/s)
//   small-files --dir DIR --seconds S                   1 KiB write + fsync + rename per second
//   push --url URL[,URL...] --count N --clients C --prefix P [--repositories R]
//                                                       N small pushes (1 KiB blob + manifest), pushes/s;
//                                                       with several URLs (replicas) client k uses URL k mod n;
//                                                       --manifest-only true: one manifest PUT per push
//   load --url URL --method HEAD --connections C --seconds S [--header "Name: value"]
//                                                       closed-loop HTTP/1.1 load (req/s, p99); for HEAD,
//                                                       which wrk and h2load cannot measure (they wait
//                                                       for a body after a HEAD response)
//   seed-sqlite, seed-blobs, seed-sqlite-links          direct seeding for benchmarks/growth.sh (see Seed.cs)
return args.Length == 0 ? Usage() : args[0] switch
{
    "load" => await Load.RunAsync(Options.Parse(args), args),
    "hash" => Hash(Options.Parse(args)),
    "small-files" => SmallFiles(Options.Parse(args)),
    "push" => await Push.RunAsync(Options.Parse(args)),
    "seed-sqlite" => Seed.Sqlite(Options.Parse(args)),
    "seed-blobs" => Seed.Blobs(Options.Parse(args)),
    "seed-sqlite-links" => Seed.SqliteLinks(Options.Parse(args)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: berth-benchtool hash|small-files|push|load|seed-sqlite|seed-blobs|seed-sqlite-links [--option value]...");
    return 2;
}

// Hashes a 64 MiB buffer in 1 MiB appends (the shape of a streaming upload) for the given time.
static int Hash(Options options)
{
    var algorithm = options.Get("algorithm", "sha256") switch
    {
        "sha256" => HashAlgorithmName.SHA256,
        "sha512" => HashAlgorithmName.SHA512,
        var other => throw new ArgumentException($"unknown algorithm {other}"),
    };
    var seconds = options.GetDouble("seconds", 3);
    var data = new byte[64 << 20];
    Random.Shared.NextBytes(data);
    const int chunk = 1 << 20;

    long HashFor(double limitSeconds, out double elapsed)
    {
        var watch = Stopwatch.StartNew();
        long bytes = 0;
        using var hash = IncrementalHash.CreateHash(algorithm);
        while (watch.Elapsed.TotalSeconds < limitSeconds)
        {
            for (var offset = 0; offset < data.Length; offset += chunk)
            {
                hash.AppendData(data, offset, chunk);
            }
            bytes += data.Length;
        }
        _ = hash.GetHashAndReset();
        elapsed = watch.Elapsed.TotalSeconds;
        return bytes;
    }

    HashFor(0.5, out _); // warm up
    var total = HashFor(seconds, out var took);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mbps={total / took / 1e6:F1}"));
    return 0;
}

// Writes 1 KiB to a temporary file, fsyncs it and renames it into place, one after another.
static int SmallFiles(Options options)
{
    var dir = options.Require("dir");
    var seconds = options.GetDouble("seconds", 3);
    Directory.CreateDirectory(dir);
    var payload = new byte[1024];
    Random.Shared.NextBytes(payload);
    var watch = Stopwatch.StartNew();
    long count = 0;
    while (watch.Elapsed.TotalSeconds < seconds)
    {
        var temp = Path.Combine(dir, $"f{count}.tmp");
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            file.Write(payload);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, Path.Combine(dir, $"f{count}"));
        count++;
    }
    var took = watch.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per_second={count / took:F1}"));
    return 0;
}

internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected '{args[i]}'");
            options._values[args[i][2..]] = args[i + 1];
        }
        return options;
    }

    public string Get(string key, string fallback) => _values.GetValueOrDefault(key, fallback);

    public string Require(string key) =>
        _values.TryGetValue(key, out var value) ? value : throw new ArgumentException($"--{key} is required");

    public double GetDouble(string key, double fallback) =>
        _values.TryGetValue(key, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public int GetInt(string key, int fallback) =>
        _values.TryGetValue(key, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
}

/// <summary>
/// The small-push workload: each push is a fresh 1 KiB layer (POST, then PUT ?digest= with the body,
/// the two-request monolithic upload every registry supports) and a manifest PUT under a new tag
/// naming that layer and an empty config pushed beforehand. Clients run concurrently on keep-alive
/// connections; all request bodies are prepared before the clock starts.
/// </summary>
internal static class Push
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    public static async Task<int> RunAsync(Options options)
    {
        // Several comma-separated base URLs spread the clients over replicas sharing one store.
        var baseUrls = options.Require("url").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(url => new Uri(url.TrimEnd('/') + "/")).ToArray();
        var count = options.GetInt("count", 500);
        var clients = options.GetInt("clients", 16);
        var prefix = options.Require("prefix");
        var repositories = options.GetInt("repositories", 1);
        // Manifest-only: every manifest names one layer uploaded beforehand and differs by an annotation,
        // so each push is a single manifest PUT (metadata only, no blob write).
        var manifestOnly = options.Get("manifest-only", "false") == "true";

        var https = baseUrls.Select(baseUrl =>
        {
            var handler = new SocketsHttpHandler
            {
                MaxConnectionsPerServer = clients,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                AllowAutoRedirect = false,
                UseProxy = false,
            };
            var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.ExpectContinue = false;
            return client;
        }).ToArray();
        try
        {
            return await RunAsync(https, count, clients, prefix, repositories, manifestOnly);
        }
        finally
        {
            foreach (var client in https) client.Dispose();
        }
    }

    private static async Task<int> RunAsync(HttpClient[] https, int count, int clients, string prefix, int repositories, bool manifestOnly)
    {
        var http = https[0];

        var config = "{}"u8.ToArray();
        var configDigest = DigestOf(config);
        var sharedLayer = new byte[1024];
        Random.Shared.NextBytes(sharedLayer);
        var work = new (string Repository, string Tag, byte[] Layer, string LayerDigest, byte[] Manifest)[count];
        for (var i = 0; i < count; i++)
        {
            var layer = manifestOnly ? sharedLayer : new byte[1024];
            if (!manifestOnly) Random.Shared.NextBytes(layer);
            var layerDigest = DigestOf(layer);
            var manifest = Encoding.UTF8.GetBytes(
                "{\"schemaVersion\":2,\"mediaType\":\"" + ManifestType + "\"," +
                "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":2}," +
                "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layerDigest + "\",\"size\":1024}]," +
                "\"annotations\":{\"org.opencontainers.image.version\":\"" + i + "\"}}");
            work[i] = ($"{prefix}/r{i % repositories}", $"p{i}", layer, layerDigest, manifest);
        }

        // The config blob, once per repository, outside the measurement.
        for (var r = 0; r < repositories; r++)
        {
            await UploadBlobAsync(http, $"{prefix}/r{r}", config, configDigest);
            if (manifestOnly) await UploadBlobAsync(http, $"{prefix}/r{r}", sharedLayer, DigestOf(sharedLayer));
        }

        var next = -1;
        var failures = 0;
        string? firstFailure = null;
        var watch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            var http = https[client % https.Length];
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count) return;
                var item = work[i];
                try
                {
                    if (!manifestOnly) await UploadBlobAsync(http, item.Repository, item.Layer, item.LayerDigest);
                    using var content = new ByteArrayContent(item.Manifest);
                    content.Headers.ContentType = new MediaTypeHeaderValue(ManifestType);
                    using var response = await http.PutAsync($"v2/{item.Repository}/manifests/{item.Tag}", content);
                    if (response.StatusCode != HttpStatusCode.Created) throw new HttpRequestException($"manifest PUT: {(int)response.StatusCode}");
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failures);
                    Interlocked.CompareExchange(ref firstFailure, e.Message, null);
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        var took = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per_second={(count - failures) / took:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"failures={failures}"));
        if (firstFailure is not null) Console.Error.WriteLine($"first failure: {firstFailure}");
        return 0;
    }

    private static async Task UploadBlobAsync(HttpClient http, string repository, byte[] body, string digest)
    {
        using var start = await http.PostAsync($"v2/{repository}/blobs/uploads/", null);
        if (start.StatusCode != HttpStatusCode.Accepted || start.Headers.Location is not { } location)
        {
            throw new HttpRequestException($"upload POST: {(int)start.StatusCode}");
        }
        // Follow Location exactly as sent (absolute or relative, with any opaque state in its query).
        var target = location.OriginalString;
        var separator = target.Contains('?') ? "&" : "?";
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await http.PutAsync(target + separator + "digest=" + Uri.EscapeDataString(digest), content);
        if (put.StatusCode != HttpStatusCode.Created) throw new HttpRequestException($"upload PUT: {(int)put.StatusCode}");
    }

    private static string DigestOf(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
