using Berth.Client.Conditional;
using Berth.Client.Errors;
using Berth.Oci.Digests;

namespace Berth.Client;

/// <summary>Conditional writes: the read-modify-write loop, create-only and compare-and-swap tags.</summary>
public sealed partial class RepositoryClient
{
    /// <summary>
    /// Changes what a tag points at without losing a concurrent writer's change (conditional-requests
    /// §4 use cases 1-2, §5.4 "RMW loop"): GET the tag, let <paramref name="modify"/> compute the new
    /// manifest from it, PUT with <c>If-Match</c> (or <c>If-None-Match: *</c> when the tag was absent),
    /// and on 412 back off with jitter, re-read and retry, up to <see cref="RegistryClientOptions.MaxUpdateAttempts"/>.
    /// </summary>
    /// <param name="modify">
    /// Given the current manifest (null when the tag does not exist), returns the new manifest, or null
    /// when the change is already present. It must be idempotent in that sense: it is also used to
    /// check, by reading back, whether an unprotected write survived.
    /// </param>
    /// <param name="whenUnprotected">
    /// What to do when the registry cannot guarantee the condition; by default nothing is written and
    /// <see cref="UnprotectedWriteException"/> is thrown.
    /// </param>
    /// <exception cref="ConcurrentUpdateException">Every attempt lost the race.</exception>
    /// <exception cref="UnprotectedWriteException">The registry gives no guarantee and the policy refuses.</exception>
    public async Task<ManifestUpdateResult> UpdateTagAsync(string tag, Func<FetchedManifest?, Manifest?> modify,
        UnprotectedWritePolicy whenUnprotected = UnprotectedWritePolicy.Refuse, CancellationToken cancellationToken = default)
    {
        var options = Registry.Options;
        var backoff = new RetryBackoff(options.RetryBaseDelay, options.MaxRetryDelay);
        for (var attempt = 1; ; attempt++)
        {
            var current = await TryGetManifestAsync(tag, cancellationToken).ConfigureAwait(false);
            var next = modify(current);
            if (next is null)
            {
                return new ManifestUpdateResult
                {
                    Repository = Name, Tag = tag, Digest = current?.Digest, Previous = current?.Digest, Changed = false, Attempts = attempt - 1,
                    Protection = Registry.ConditionalSupport,
                };
            }

            var support = await RequireConditionalSupportAsync(current?.Manifest ?? next, whenUnprotected, $"update {tag}", cancellationToken)
                .ConfigureAwait(false);
            var condition = current is null ? WriteCondition.CreateOnly
                : current.EntityTag is { Length: > 0 } entityTag ? WriteCondition.IfMatchEntityTag(entityTag)
                : WriteCondition.IfMatchDigest(current.Digest);
            try
            {
                await PutManifestAsync(tag, next, condition, cancellationToken).ConfigureAwait(false);
            }
            catch (PreconditionFailedException)
            {
                if (attempt >= options.MaxUpdateAttempts) throw new ConcurrentUpdateException(Name, tag, attempt);
                await Task.Delay(backoff.DelayBefore(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            bool? confirmed = null;
            if (!support.IsGuaranteed())
            {
                // §5.4 "Unsupported registry": read back and check our change is (still) there.
                var readBack = await TryGetManifestAsync(tag, cancellationToken).ConfigureAwait(false);
                confirmed = readBack is not null && modify(readBack) is null;
            }
            return new ManifestUpdateResult
            {
                Repository = Name, Tag = tag, Digest = next.Digest, Previous = current?.Digest, Changed = true, Attempts = attempt,
                Protection = support, ConfirmedByReadBack = confirmed,
            };
        }
    }

    /// <summary>
    /// Points <paramref name="tag"/> at an existing manifest, optionally only if the tag is absent
    /// (<see cref="WriteCondition.CreateOnly"/>) or currently holds a given digest.
    /// </summary>
    /// <exception cref="TagExistsException">Create-only, and the tag holds other content.</exception>
    /// <exception cref="PreconditionFailedException">If-Match did not hold.</exception>
    public async Task<TagResult> TagAsync(string tag, Digest digest, WriteCondition? condition = null,
        UnprotectedWritePolicy whenUnprotected = UnprotectedWritePolicy.Refuse, CancellationToken cancellationToken = default)
    {
        condition ??= WriteCondition.None;
        var manifest = (await GetManifestAsync(digest.ToString(), cancellationToken).ConfigureAwait(false)).Manifest;
        var support = Registry.ConditionalSupport;
        if (condition.IsConditional)
        {
            support = await RequireConditionalSupportAsync(manifest, whenUnprotected, $"tag {tag}", cancellationToken).ConfigureAwait(false);
            if (!support.IsGuaranteed())
            {
                // Best effort on a registry that would ignore the header: check first, knowing it races.
                var current = await HeadManifestAsync(tag, cancellationToken).ConfigureAwait(false);
                if (condition == WriteCondition.CreateOnly && current is not null)
                {
                    if (current.Digest == digest.ToString()) return new TagResult(Name, tag, digest, support, AlreadyApplied: true);
                    throw new TagExistsException(Name, tag, current.Digest);
                }
                if (condition.IfMatch is { } expected && (current is null || !EntityTagMatches(expected, current.Digest)))
                {
                    throw new PreconditionFailedException("PUT", new Uri(Registry.BaseAddress, Path($"manifests/{tag}")),
                        $"{tag} is at {current?.Digest ?? "nothing"}, not {expected}", null);
                }
            }
        }

        try
        {
            await PutManifestAsync(tag, manifest, condition, cancellationToken).ConfigureAwait(false);
            return new TagResult(Name, tag, digest, support, AlreadyApplied: false);
        }
        catch (PreconditionFailedException) when (condition == WriteCondition.CreateOnly)
        {
            // §5.4 "Create-only": a 412 may answer our own earlier attempt whose response was lost.
            var current = await HeadManifestAsync(tag, cancellationToken).ConfigureAwait(false);
            if (current?.Digest == digest.ToString()) return new TagResult(Name, tag, digest, support, AlreadyApplied: true);
            throw new TagExistsException(Name, tag, current?.Digest);
        }
    }

    /// <summary>
    /// Learns whether the registry honours preconditions on manifest writes — the signal header first,
    /// then the non-destructive probe of conditional-requests §5.4 with <paramref name="probe"/> (pushed
    /// by digest first when the repository does not have it: harmless, it is untagged content) — and
    /// applies the caller's policy when it does not.
    /// </summary>
    /// <exception cref="UnprotectedWriteException">No guarantee, and <paramref name="policy"/> refuses.</exception>
    public async Task<ConditionalSupport> RequireConditionalSupportAsync(Manifest probe, UnprotectedWritePolicy policy, string operation,
        CancellationToken cancellationToken = default)
    {
        var support = Registry.ConditionalSupport;
        if (support == ConditionalSupport.Unknown)
        {
            support = await Registry.DetectConditionalSupportAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        if (support == ConditionalSupport.Unknown)
        {
            if (await HeadManifestAsync(probe.Digest.ToString(), cancellationToken).ConfigureAwait(false) is null)
            {
                await PutManifestCoreAsync(probe.Digest.ToString(), probe, WriteCondition.None, cancellationToken).ConfigureAwait(false);
            }
            support = await Registry.DetectConditionalSupportAsync(this, probe, cancellationToken).ConfigureAwait(false);
        }
        if (!support.IsGuaranteed() && policy == UnprotectedWritePolicy.Refuse)
        {
            throw new UnprotectedWriteException(Registry.Registry, Name, operation, support);
        }
        return support;
    }

    private static bool EntityTagMatches(string entityTag, string digest) => entityTag.Trim().Trim('"') == digest;
}
