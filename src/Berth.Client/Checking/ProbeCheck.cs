using System.Net;

namespace Berth.Client.Checking;

/// <summary>
/// The state every check starts from: tag <see cref="Tag"/> points at <see cref="Tagged"/>, pushed
/// once before the checks; checks that write use tags of their own.
/// </summary>
internal sealed record ProbeBaseline(string Tag, ScratchManifest Tagged);

/// <summary>One promise of the conditional-requests contract (design note §5), checked over HTTP.</summary>
internal abstract class ProbeCheck
{
    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract Task<CheckResult> RunAsync(ProbeContext context, ProbeBaseline baseline);

    protected CheckResult Pass(string evidence) => new(Name, Description, CheckOutcome.Passed, evidence);

    protected CheckResult Fail(string evidence) => new(Name, Description, CheckOutcome.Failed, evidence);

    protected CheckResult Verdict(bool passed, string evidence) => passed ? Pass(evidence) : Fail(evidence);

    protected static bool IsCreated(Answer answer) => answer.Status is HttpStatusCode.Created or HttpStatusCode.OK;

    /// <summary>A strong entity tag equal to the quoted digest (§5.1: byte-identical to Docker-Content-Digest).</summary>
    protected static bool IsDigestETag(Answer answer, string digest) => answer.ETag == $"\"{digest}\"";
}
