using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Manifests;
using Berth.Oci.Names;
using Berth.Oci.Preconditions;
using Berth.Registry.Policies;
using Berth.Registry.Results;
using Berth.Storage.Metadata;

namespace Berth.Registry.Operations;

/// <summary>
/// distribution-spec "Pulling manifests" (end-3), "Pushing manifests" (end-7), "Deleting tags and
/// manifests" (end-9), with RFC 9110 §13 preconditions evaluated atomically with every write.
/// </summary>
public sealed class ManifestOperations
{
    private readonly IMetadataStore _metadata;
    private readonly WriteAdmission _admission;

    internal ManifestOperations(IMetadataStore metadata, WriteAdmission admission)
    {
        _metadata = metadata;
        _admission = admission;
    }

    public Result<ManifestRead> Read(string name, string reference, RequestPreconditions conditions)
    {
        if (Validate.Name(name) is { } nameError) return nameError;
        if (!ManifestReference.TryParse(reference, out var parsed, out var looksLikeDigest))
        {
            return looksLikeDigest ? Validate.Digest(reference, out _)! : RegistryError.ManifestUnknown(Validate.Truncate(reference));
        }
        if (parsed.IsTag)
        {
            if (_metadata.ResolveTag(name, parsed.Tag!) is not { } tagged) return Unknown(name, reference);
            var state = ResourceState.Present(EntityTag.ForDigest(tagged.Manifest.Digest), tagged.TagUpdatedAt);
            return new ManifestRead(tagged.Manifest, true, tagged.TagUpdatedAt,
                PreconditionEvaluator.Evaluate(conditions, state, isSafeMethod: true));
        }
        if (_metadata.GetManifest(name, parsed.Digest) is not { } manifest) return Unknown(name, reference);
        return new ManifestRead(manifest, false, null,
            PreconditionEvaluator.Evaluate(conditions, ResourceState.Present(EntityTag.ForDigest(parsed.Digest)), isSafeMethod: true));
    }

    public async Task<Result<ManifestWritten>> PutAsync(ManifestPut put, CancellationToken cancellationToken)
    {
        if (_admission.Refusal(WriteKind.Push) is { } refused) return refused;
        if (Validate.Name(put.Name) is { } nameError) return nameError;
        if (!ManifestReference.TryParse(put.Reference, out var reference, out var looksLikeDigest))
        {
            return looksLikeDigest
                ? Validate.Digest(put.Reference, out _)!
                : RegistryError.ManifestInvalid($"invalid tag '{Validate.Truncate(put.Reference)}'");
        }
        if (put.QueryTags.Count > 0)
        {
            if (reference.IsTag) return RegistryError.Unsupported("tag query parameters are only accepted on a push by digest");
            foreach (var tag in put.QueryTags)
            {
                if (!TagName.IsValid(tag)) return RegistryError.ManifestInvalid($"invalid tag '{Validate.Truncate(tag)}'");
            }
            // A precondition on a multi-tag push would be evaluated against the digest, which looks like
            // tag protection while protecting nothing.
            if (put.Preconditions.AppliesToWrites)
            {
                return RegistryError.Unsupported(
                    "conditional requests are not supported with tag query parameters; push by digest, then PUT each tag with its own If-Match or If-None-Match");
            }
        }
        var tags = reference.IsTag ? [reference.Tag!] : put.QueryTags.Distinct(StringComparer.Ordinal).ToList();

        if (put.ContentLength > ManifestParser.MaxManifestBytes) return TooLarge();
        var guard = GuardFor(put.Name, put.Preconditions);

        // Fast check before reading the body: a stale If-Match is answered 412 even for an invalid body.
        if (FastCheck(put.Name, reference, guard) is { } early) return early;

        var body = await ReadLimitedAsync(put.Body, ManifestParser.MaxManifestBytes, cancellationToken);
        if (body is null) return TooLarge();

        var digest = reference.IsTag ? Digest.Compute(DigestAlgorithm.Sha256, body) : Digest.Compute(reference.Digest.Algorithm, body);
        if (!reference.IsTag && digest != reference.Digest)
        {
            return RegistryError.DigestInvalid($"manifest content has digest {digest}, not {reference.Digest}");
        }
        var parsed = ManifestParser.Parse(body, put.ContentType, out var invalid);
        if (parsed is null) return invalid!;

        var outcome = await _metadata.PutManifestAsync(new ManifestToStore
        {
            Repository = put.Name,
            Digest = digest,
            MediaType = parsed.MediaType,
            Content = body,
            Parsed = parsed,
            Tags = tags,
            Actor = put.Actor,
        }, guard);
        if (outcome.Status != WriteStatus.Done) return Refusal(outcome, reference.IsTag ? reference.Tag! : digest.ToString());
        return new ManifestWritten(digest, parsed.Subject, tags);
    }

    /// <summary>
    /// Stores a manifest a pull-through cache fetched from its upstream and verified against
    /// <paramref name="digest"/>, under that digest and, when given, <paramref name="tag"/> (a moved tag is
    /// recorded in the tag history with <paramref name="actor"/>). The blobs and child manifests it references
    /// are fetched when pulled, so unlike a push they need not be stored yet.
    /// </summary>
    public async Task<Result<ManifestWritten>> StoreFetchedAsync(string name, string? tag, Digest digest, byte[] content, string? mediaType,
        string actor)
    {
        if (Validate.Name(name) is { } nameError) return nameError;
        if (tag is not null && !TagName.IsValid(tag)) return RegistryError.ManifestInvalid($"invalid tag '{Validate.Truncate(tag)}'");
        if (content.Length > ManifestParser.MaxManifestBytes) return TooLarge();
        if (Digest.Compute(digest.Algorithm, content) != digest) return RegistryError.DigestInvalid($"manifest content does not have digest {digest}");
        var parsed = ManifestParser.Parse(content, mediaType, out var invalid);
        if (parsed is null) return invalid!;
        IReadOnlyList<string> tags = tag is null ? [] : [tag];
        var outcome = await _metadata.PutManifestAsync(new ManifestToStore
        {
            Repository = name,
            Digest = digest,
            MediaType = parsed.MediaType,
            Content = content,
            Parsed = parsed,
            Tags = tags,
            Actor = actor,
            ReferencesFetchedLater = true,
        }, GuardFor(name, RequestPreconditions.None));
        if (outcome.Status != WriteStatus.Done) return Refusal(outcome, tag ?? digest.ToString());
        return new ManifestWritten(digest, parsed.Subject, tags);
    }

    /// <summary>end-9: by tag removes only the tag; by digest removes the manifest and every tag on it.</summary>
    public async Task<Result<ManifestReference>> DeleteAsync(string name, string reference, RequestPreconditions conditions, string? actor)
    {
        if (_admission.Refusal(WriteKind.Delete) is { } refused) return refused;
        if (Validate.Name(name) is { } nameError) return nameError;
        if (!ManifestReference.TryParse(reference, out var parsed, out var looksLikeDigest))
        {
            return looksLikeDigest ? Validate.Digest(reference, out _)! : RegistryError.ManifestUnknown(Validate.Truncate(reference));
        }
        var outcome = parsed.IsTag
            ? await _metadata.DeleteTagAsync(name, parsed.Tag!, GuardFor(name, conditions), actor)
            : await _metadata.DeleteManifestAsync(name, parsed.Digest, GuardFor(name, conditions), actor);
        if (outcome.Status == WriteStatus.NotFound) return Unknown(name, reference);
        if (outcome.Status != WriteStatus.Done) return Refusal(outcome, reference);
        return parsed;
    }

    public IReadOnlyList<TagMove> History(string name, string tag, int limit) => _metadata.TagHistory(name, tag, limit);

    private RegistryError? FastCheck(string name, ManifestReference reference, WriteGuard guard)
    {
        if (!guard.Preconditions.AppliesToWrites && !guard.HasPolicy) return null;
        if (reference.IsTag)
        {
            var tagged = _metadata.ResolveTag(name, reference.Tag!);
            var verdict = guard.Check(WriteGuard.TagTarget(tagged?.Manifest.Digest, tagged?.TagUpdatedAt), reference.Tag);
            return verdict == GuardVerdict.Allow ? null : Refusal(WriteOutcome.From(verdict, tagged?.Manifest.Digest), reference.Tag!);
        }
        var exists = _metadata.GetManifest(name, reference.Digest) is not null;
        var digestVerdict = guard.Check(WriteGuard.DigestTarget(reference.Digest, exists), tag: null);
        return digestVerdict == GuardVerdict.Allow ? null : Refusal(WriteOutcome.From(digestVerdict, exists ? reference.Digest : null), reference.ToString());
    }

    /// <summary>
    /// The preconditions plus the policies of the repository, decided per tag: a policy's tag pattern
    /// applies to the tags a write would move or delete, including those deleted with a manifest.
    /// </summary>
    private WriteGuard GuardFor(string name, RequestPreconditions conditions)
    {
        var policies = _admission.Policies.Where(policy => policy.Matches(name, null)).ToList();
        var require = policies.Where(policy => policy.RequirePreconditions).ToList();
        var immutable = policies.Where(policy => policy.ImmutableTags).ToList();
        return new WriteGuard
        {
            Preconditions = conditions,
            RequiresPreconditions = require.Count == 0 ? null : tag => require.Any(policy => policy.Matches(name, tag)),
            IsImmutable = immutable.Count == 0 ? null : tag => immutable.Any(policy => policy.Matches(name, tag)),
        };
    }

    private RegistryError Unknown(string name, string reference) =>
        _metadata.RepositoryExists(name) ? RegistryError.ManifestUnknown(Validate.Truncate(reference)) : RegistryError.NameUnknown(name);

    private static RegistryError TooLarge() =>
        RegistryError.TooLarge($"manifest exceeds the {ManifestParser.MaxManifestBytes / (1024 * 1024)} MiB limit");

    private static RegistryError Refusal(WriteOutcome outcome, string target)
    {
        var current = outcome.Current is { } digest ? EntityTag.ForDigest(digest).ToString() : null;
        var hint = current is null ? $"'{target}' does not currently exist." : $"'{target}' currently has ETag {current}.";
        return outcome.Status switch
        {
            WriteStatus.MissingReference => RegistryError.ManifestBlobUnknown(outcome.MissingReference.ToString()!),
            WriteStatus.PreconditionRequired => RegistryError.PreconditionRequired(
                $"This repository requires conditional writes for '{target}'. {hint} Retry with If-Match: {current ?? "\"<digest>\""} " +
                "to replace exactly that version, or If-None-Match: * to create a tag that must not exist yet.", current),
            WriteStatus.ImmutableTag => RegistryError.Denied(
                $"'{target}' is an immutable tag: once created it cannot be moved or deleted. {hint} Push under a new tag instead."),
            _ => RegistryError.PreconditionFailed(
                $"Precondition failed: {hint} Nothing was changed. Re-read the manifest (GET with Cache-Control: no-cache), " +
                "re-apply your change and retry with If-Match set to the new ETag.", current),
        };
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is longer.</summary>
    private static async Task<byte[]?> ReadLimitedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
