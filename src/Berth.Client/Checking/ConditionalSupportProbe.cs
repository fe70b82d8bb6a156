using System.Net;

namespace Berth.Client.Checking;

/// <summary>
/// Probes any registry for what the conditional-requests contract promises (support header, strong
/// ETags, If-None-Match reads, If-Match / If-None-Match writes, malformed conditions, racing
/// writers), in a scratch repository of its own under <c>repository</c>: it pushes its own tiny
/// content and deletes it afterwards. A registry may send ETags without honouring If-Match
/// (§5.3), so only probing tells.
/// </summary>
public sealed class ConditionalSupportProbe
{
    private readonly RegistryClient _client;
    private readonly int _writers;

    public ConditionalSupportProbe(RegistryClient client, int racingWriters = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(racingWriters, 2);
        _client = client;
        _writers = racingWriters;
    }

    /// <summary>A new repository name under <paramref name="repository"/> that no earlier run used.</summary>
    public static string ScratchRepositoryName(string repository) =>
        $"{repository}/berth-check-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..8]}";

    public async Task<ConditionalSupportReport> RunAsync(string repository, CancellationToken cancellationToken = default)
    {
        var scratch = ScratchRepositoryName(repository);
        var context = new ProbeContext(_client, scratch);
        var checks = Checks();
        var results = new List<CheckResult>();
        try
        {
            await context.PushBlobsAsync(cancellationToken).ConfigureAwait(false);
            var tagged = context.NewManifest("baseline");
            var put = await context.PutManifestAsync("baseline", tagged).ConfigureAwait(false);
            if (put.Status is not (HttpStatusCode.Created or HttpStatusCode.OK))
            {
                results.AddRange(checks.Select(c => new CheckResult(c.Name, c.Description, CheckOutcome.NotApplicable,
                    $"the probe's manifest could not be pushed: PUT {put.Code}")));
                return new ConditionalSupportReport(_client.Registry, scratch, results, await context.CleanUpAsync().ConfigureAwait(false));
            }
            var baseline = new ProbeBaseline("baseline", tagged);
            foreach (var check in checks)
            {
                cancellationToken.ThrowIfCancellationRequested();
                results.Add(await check.RunAsync(context, baseline).ConfigureAwait(false));
            }
        }
        finally
        {
            // Best effort when the run itself failed; the report carries the notes otherwise.
            if (results.Count < checks.Count) await context.CleanUpAsync().ConfigureAwait(false);
        }
        return new ConditionalSupportReport(_client.Registry, scratch, results, await context.CleanUpAsync().ConfigureAwait(false));
    }

    private List<ProbeCheck> Checks() =>
    [
        new SupportHeaderCheck(),
        new ManifestETagCheck(),
        new BlobETagCheck(),
        new ReferrersETagCheck(),
        .. IfNoneMatchReadCheck.All(),
        new StaleIfMatchPutCheck(),
        new StaleIfMatchDeleteCheck(),
        new CreateOnlyCheck(),
        new MalformedConditionCheck(),
        new RacingWritersCheck(_writers),
    ];
}
