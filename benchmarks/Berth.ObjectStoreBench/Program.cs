using System.Diagnostics;
using Berth.Oci.Digests;
using Berth.Storage.ObjectStores.S3;
using Berth.Storage.Uploads;
using Berth.Testing.Backends;

// Usage: berth-objectstore-bench [total MiB, default 1024] [chunk MiB, default 64] [memstore|bluestore, default bluestore]
// Starts a private Ceph RGW (bluestore in a sparse file: memstore would keep gigabytes in RAM) and
// pushes one chunked upload per scenario through two S3UploadStore instances, which stand for two
// replicas (each has its own in-memory hash states), over one bucket.
var totalMiB = args.Length > 0 ? int.Parse(args[0]) : 1024;
var chunkMiB = args.Length > 1 ? int.Parse(args[1]) : 64;
const int MiB = 1 << 20;

var chunk = new byte[chunkMiB * MiB];
Random.Shared.NextBytes(chunk);
var chunks = totalMiB / chunkMiB;
using var digestHasher = new DigestHasher(DigestAlgorithm.Sha256);
for (var i = 0; i < chunks; i++) digestHasher.Append(chunk);
var digest = digestHasher.Current();

var bluestore = args.Length <= 2 || args[2] != "memstore";
await using var ceph = await CephRadosGateway.StartAsync(memstoreBytes: 3L * totalMiB * MiB + (1L << 30), bluestore: bluestore);
Console.WriteLine($"Ceph RGW ({(bluestore ? "bluestore" : "memstore")}) started in {ceph.StartDuration.TotalSeconds:F1} s; upload {totalMiB} MiB in {chunks} PATCHes of {chunkMiB} MiB, S3 segments of 16 MiB");
Console.WriteLine($"{"scenario",-44} {"PATCHes",9} {"closing PUT",12} {"total",9} {"re-read",9} {"re-read time",13} {"re-read rate",12}");

string[] scenarios = ["one replica (hash in memory)", "PATCHes on A, closing PUT on B", "PATCHes alternate A/B, closing PUT on A"];
for (var scenario = 0; scenario < scenarios.Length; scenario++)
{
    var options = ceph.StorageOptions("bench-" + scenario) with { RequestTimeout = TimeSpan.FromMinutes(10) };
    using var bucketA = new S3Bucket(options);
    using var bucketB = new S3Bucket(options);
    await bucketA.EnsureExistsAsync();
    var a = new S3UploadStore(bucketA, new S3BlobStore(bucketA));
    var b = new S3UploadStore(bucketB, new S3BlobStore(bucketB));

    var id = UploadIds.New();
    await a.CreateAsync(id, DigestAlgorithm.Sha256);
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < chunks; i++)
    {
        var replica = scenario == 2 && i % 2 == 1 ? b : a;
        var appended = await replica.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(chunk, writable: false), (long)i * chunk.Length, null, cancellationToken: CancellationToken.None);
        if (appended.Status != AppendStatus.Appended) throw new InvalidOperationException($"chunk {i}: {appended}");
    }
    var patches = clock.Elapsed;
    var closer = scenario == 1 ? b : a;
    var completed = await closer.CompleteAsync(id, DigestAlgorithm.Sha256, digest, CancellationToken.None);
    if (!completed.Matched) throw new InvalidOperationException("digest mismatch");
    var total = clock.Elapsed;
    var reread = a.BytesRereadForHashing + b.BytesRereadForHashing;
    var rereadTime = a.TimeRereadingForHashing + b.TimeRereadingForHashing;
    var closing = total - patches;
    // The fallback's cost: the time spent reading bytes back from the bucket to rebuild hash states.
    Console.WriteLine($"{scenarios[scenario],-44} {Rate(totalMiB, patches),9} {closing.TotalSeconds,10:F1} s {Rate(totalMiB, total),9} {reread / MiB,5} MiB {rereadTime.TotalSeconds,11:F1} s {(reread > 0 ? Rate((int)(reread / MiB), rereadTime) : "-"),12}");
    await new S3BlobStore(bucketA).RemoveIfOlderThanAsync(digest, DateTimeOffset.UtcNow.AddMinutes(5));
}

static string Rate(int mib, TimeSpan elapsed) => $"{mib / elapsed.TotalSeconds:F0} MB/s";
