using System.Net;

namespace Berth.Client.Checking;

/// <summary>§5.3: <c>OCI-Distribution-RFC7232: yes</c> on /v2/.</summary>
internal sealed class SupportHeaderCheck : ProbeCheck
{
    public override string Name => "support-header";

    public override string Description => "GET /v2/ announces OCI-Distribution-RFC7232: yes";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        var answer = await context.GetAsync("v2/").ConfigureAwait(false);
        return Verdict(answer.Signal?.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase) == true,
            $"GET /v2/ {answer.Code}, {RegistryClient.ConditionalSignalHeader}: {answer.Signal ?? "(absent)"}");
    }
}

/// <summary>§5.1: manifest GET by tag carries ETag "&lt;digest&gt;".</summary>
internal sealed class ManifestETagCheck : ProbeCheck
{
    public override string Name => "etag-manifest";

    public override string Description => "manifest GET by tag has a strong ETag equal to the quoted digest";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        var answer = await context.GetAsync($"manifests/{baseline.Tag}").ConfigureAwait(false);
        return Verdict(answer.Status == HttpStatusCode.OK && IsDigestETag(answer, baseline.Tagged.Digest.ToString()),
            $"GET {answer}, Docker-Content-Digest {answer.Digest ?? "(absent)"}");
    }
}

/// <summary>§5.1: blob GET carries ETag "&lt;digest&gt;".</summary>
internal sealed class BlobETagCheck : ProbeCheck
{
    public override string Name => "etag-blob";

    public override string Description => "blob GET has a strong ETag equal to the quoted digest";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        var answer = await context.GetAsync($"blobs/{context.LayerDigest}").ConfigureAwait(false);
        return Verdict(answer.Status == HttpStatusCode.OK && IsDigestETag(answer, context.LayerDigest.ToString()), $"GET {answer}");
    }
}

/// <summary>§5.1: the referrers list has a strong ETag, and If-None-Match with it gives 304.</summary>
internal sealed class ReferrersETagCheck : ProbeCheck
{
    public override string Name => "etag-referrers";

    public override string Description => "referrers GET has a strong ETag, and If-None-Match with it gives 304";

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        var referrer = context.NewManifest("referrer", subject: baseline.Tagged);
        var put = await context.PutManifestAsync(referrer.Digest.ToString(), referrer).ConfigureAwait(false);
        var list = await context.GetAsync($"referrers/{baseline.Tagged.Digest}").ConfigureAwait(false);
        if (list.Status != HttpStatusCode.OK || list.ETag is null || list.ETag.StartsWith("W/", StringComparison.Ordinal))
        {
            return Fail($"referrer PUT {put.Code}; GET referrers {list}");
        }
        var again = await context.GetAsync($"referrers/{baseline.Tagged.Digest}", ("If-None-Match", list.ETag)).ConfigureAwait(false);
        return Verdict(again.Status == HttpStatusCode.NotModified, $"GET referrers {list}; with If-None-Match {again.Code}");
    }
}

/// <summary>§5.2 reads: If-None-Match on a manifest GET by tag gives 304 when it matches (weak comparison, RFC 9110 §13.1.2).</summary>
internal sealed class IfNoneMatchReadCheck(string name, string description, Func<ScratchManifest, string> header) : ProbeCheck
{
    public override string Name => name;

    public override string Description => description;

    public override async Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline)
    {
        var value = header(baseline.Tagged);
        var answer = await context.GetAsync($"manifests/{baseline.Tag}", ("If-None-Match", value)).ConfigureAwait(false);
        return Verdict(answer.Status == HttpStatusCode.NotModified, $"GET with If-None-Match: {value} -> {answer.Code}");
    }

    public static IEnumerable<ProbeCheck> All() =>
    [
        new IfNoneMatchReadCheck("if-none-match-exact", "manifest GET with If-None-Match: \"<digest>\" gives 304", m => m.QuotedDigest),
        new IfNoneMatchReadCheck("if-none-match-list", "manifest GET with If-None-Match: \"<other>\", \"<digest>\" gives 304",
            m => $"\"sha256:{new string('0', 64)}\", {m.QuotedDigest}"),
        new IfNoneMatchReadCheck("if-none-match-star", "manifest GET with If-None-Match: * gives 304", _ => "*"),
        new IfNoneMatchReadCheck("if-none-match-weak", "manifest GET with If-None-Match: W/\"<digest>\" gives 304 (weak comparison)",
            m => $"W/{m.QuotedDigest}"),
    ];
}
