using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Oci.Digests;

namespace Berth.Client.Checking;

/// <summary>
/// Design note §6 test 58 in miniature: N writers each add their own annotation to one tag by
/// read-modify-write with If-Match, retrying on 412. All of them read the same state before any of
/// them writes, so a registry that ignores If-Match keeps exactly one update, one that honours it keeps all N.
/// </summary>
internal sealed class RacingWritersCheck(int writers) : ProbeCheck
{
    private const int MaxAttempts = 64;
    private const string KeyPrefix = "org.berth.check.writer.";

    public override string Name => "racing-writers";

    public override string Description => $"{writers} read-modify-write writers with If-Match on one tag: every update survives";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        const string tag = "race";
        await context.PutManifestAsync(tag, context.NewManifest(tag)).ConfigureAwait(false);
        var allRead = new CountdownEvent(writers);
        var everyoneHasRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var conflicts = 0;
        var gaveUp = 0;

        async Task WriteAsync(int writer)
        {
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var read = await context.GetAsync($"manifests/{tag}").ConfigureAwait(false);
                if (attempt == 0)
                {
                    if (allRead.Signal()) everyoneHasRead.SetResult();
                    await everyoneHasRead.Task.ConfigureAwait(false);
                }
                var document = JsonNode.Parse(read.Body)!.AsObject();
                var annotations = document["annotations"]?.AsObject() ?? [];
                document["annotations"] = annotations;
                annotations[KeyPrefix + writer] = "1";
                var bytes = Encoding.UTF8.GetBytes(document.ToJsonString());
                var manifest = new ScratchManifest(bytes, Digest.Compute(DigestAlgorithm.Sha256, bytes));
                // Keep the ETag verbatim (§5.4); derive it from the digest only when none was sent.
                var etag = read.ETag ?? $"\"{read.Digest}\"";
                var put = await context.PutManifestAsync(tag, manifest, ("If-Match", etag)).ConfigureAwait(false);
                if (put.Status != HttpStatusCode.PreconditionFailed) return;
                Interlocked.Increment(ref conflicts);
            }
            Interlocked.Increment(ref gaveUp);
        }

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w)))).ConfigureAwait(false);
        allRead.Dispose();
        var final = await context.GetAsync($"manifests/{tag}").ConfigureAwait(false);
        var survived = JsonNode.Parse(final.Body)?["annotations"]?.AsObject().Count(a => a.Key.StartsWith(KeyPrefix, StringComparison.Ordinal)) ?? 0;
        return Verdict(survived == writers,
            $"{survived} of {writers} updates survived; {conflicts} writes got 412 and were retried{(gaveUp > 0 ? $"; {gaveUp} writers gave up" : "")}");
    }
}
