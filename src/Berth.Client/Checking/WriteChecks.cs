using System.Net;

namespace Berth.Client.Checking;

/// <summary>§5.2 PUT: If-Match with a digest the tag held before gives 412, and nothing is written.</summary>
internal sealed class StaleIfMatchPutCheck : ProbeCheck
{
    public override string Name => "if-match-stale-put";

    public override string Description => "manifest PUT with a stale If-Match gives 412; the tag stays and the new manifest is not stored";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        const string tag = "stale-put";
        var old = context.NewManifest(tag);
        var current = context.NewManifest(tag);
        var late = context.NewManifest(tag);
        await context.PutManifestAsync(tag, old).ConfigureAwait(false);
        await context.PutManifestAsync(tag, current).ConfigureAwait(false);
        var answer = await context.PutManifestAsync(tag, late, ("If-Match", old.QuotedDigest)).ConfigureAwait(false);
        var now = await context.TagDigestAsync(tag).ConfigureAwait(false);
        var stored = await context.ManifestExistsAsync(late.Digest).ConfigureAwait(false);
        return Verdict(answer.Status == HttpStatusCode.PreconditionFailed && now == current.Digest.ToString() && !stored,
            $"PUT with stale If-Match -> {answer.Code}; tag {(now == current.Digest.ToString() ? "unchanged" : "moved")}; "
            + $"new manifest {(stored ? "stored" : "not stored")}");
    }
}

/// <summary>§5.2 DELETE: If-Match with a digest the tag no longer holds gives 412, and the tag stays.</summary>
internal sealed class StaleIfMatchDeleteCheck : ProbeCheck
{
    public override string Name => "if-match-stale-delete";

    public override string Description => "manifest DELETE of a tag with a stale If-Match gives 412; the tag stays";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        const string tag = "stale-delete";
        var old = context.NewManifest(tag);
        var current = context.NewManifest(tag);
        await context.PutManifestAsync(tag, old).ConfigureAwait(false);
        await context.PutManifestAsync(tag, current).ConfigureAwait(false);
        var answer = await context.DeleteAsync($"manifests/{tag}", ("If-Match", old.QuotedDigest)).ConfigureAwait(false);
        var now = await context.TagDigestAsync(tag).ConfigureAwait(false);
        return Verdict(answer.Status == HttpStatusCode.PreconditionFailed && now == current.Digest.ToString(),
            $"DELETE with stale If-Match -> {answer.Code}; tag {(now == current.Digest.ToString() ? "unchanged" : now is null ? "gone" : "moved")}");
    }
}

/// <summary>§5.2: If-None-Match: * creates a tag once; a second create-only PUT gives 412 and changes nothing.</summary>
internal sealed class CreateOnlyCheck : ProbeCheck
{
    public override string Name => "if-none-match-create-only";

    public override string Description => "manifest PUT with If-None-Match: * creates a new tag, and gives 412 once the tag exists";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        const string tag = "create-only";
        var first = context.NewManifest(tag);
        var second = context.NewManifest(tag);
        var created = await context.PutManifestAsync(tag, first, ("If-None-Match", "*")).ConfigureAwait(false);
        var refused = await context.PutManifestAsync(tag, second, ("If-None-Match", "*")).ConfigureAwait(false);
        var now = await context.TagDigestAsync(tag).ConfigureAwait(false);
        return Verdict(IsCreated(created) && refused.Status == HttpStatusCode.PreconditionFailed && now == first.Digest.ToString(),
            $"first create-only PUT -> {created.Code}; second -> {refused.Code}; tag {(now == first.Digest.ToString() ? "kept the first" : "moved")}");
    }
}

/// <summary>§5.2 parsing: a malformed If-Match on a PUT gives 400 and writes nothing (fail closed).</summary>
internal sealed class MalformedConditionCheck : ProbeCheck
{
    public override string Name => "malformed-condition";

    public override string Description => "manifest PUT with a malformed If-Match gives 400; the tag stays and nothing is stored";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        const string tag = "malformed";
        var current = context.NewManifest(tag);
        await context.PutManifestAsync(tag, current).ConfigureAwait(false);
        var quoted = current.QuotedDigest;
        string[] malformed = [quoted[..^1], $"*, {quoted}", "not an entity tag"];
        var passed = true;
        var evidence = new List<string>();
        foreach (var value in malformed)
        {
            var attempt = context.NewManifest(tag);
            var answer = await context.PutManifestAsync(tag, attempt, ("If-Match", value)).ConfigureAwait(false);
            var now = await context.TagDigestAsync(tag).ConfigureAwait(false);
            var stored = await context.ManifestExistsAsync(attempt.Digest).ConfigureAwait(false);
            var unchanged = now == current.Digest.ToString();
            passed &= answer.Status == HttpStatusCode.BadRequest && unchanged && !stored;
            evidence.Add($"If-Match: {value} -> {answer.Code}{(unchanged ? "" : ", tag moved")}{(stored ? ", manifest stored" : "")}");
            // Put the tag back so the next value is judged from the same state.
            if (!unchanged) await context.PutManifestAsync(tag, current).ConfigureAwait(false);
        }
        return Verdict(passed, string.Join("; ", evidence));
    }
}
