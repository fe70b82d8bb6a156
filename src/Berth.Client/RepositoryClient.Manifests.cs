using System.Net;
using System.Net.Http.Headers;
using Berth.Client.Conditional;
using Berth.Client.Errors;
using Berth.Oci.Digests;
using Berth.Oci.Names;
using Berth.Oci.Protocol;

namespace Berth.Client;

/// <summary>Manifests: distribution-spec end-2/3 (pull), end-7 (push), end-9 (delete).</summary>
public sealed partial class RepositoryClient
{
    /// <summary>GET a manifest by tag or digest; throws <see cref="RegistryRequestException"/> when absent.</summary>
    public async Task<FetchedManifest> GetManifestAsync(string reference, CancellationToken cancellationToken = default) =>
        await TryGetManifestAsync(reference, cancellationToken).ConfigureAwait(false)
        ?? throw new RegistryRequestException(HttpStatusCode.NotFound, "GET", new Uri(Registry.BaseAddress, Path($"manifests/{reference}")),
            [new RegistryErrorEntry("MANIFEST_UNKNOWN", $"{this}:{reference} not found")], null);

    /// <summary>
    /// GET a manifest, or null on 404. Always revalidates (<c>Cache-Control: no-cache</c>) because a
    /// read-modify-write must start from the current state (conditional-requests §5.4 step 1). The
    /// bytes are checked against the digest asked for, or against Docker-Content-Digest.
    /// </summary>
    public async Task<FetchedManifest?> TryGetManifestAsync(string reference, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path($"manifests/{reference}"));
        foreach (var accept in RegistryClient.ManifestAcceptHeaders) request.Headers.Accept.Add(accept);
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        using var response = await SendAsync(request, PullScope, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);

        return await ReadManifestAsync(response, reference, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The manifest in a 200 response, checked against the digest asked for, or against Docker-Content-Digest.</summary>
    private async Task<FetchedManifest> ReadManifestAsync(HttpResponseMessage response, string reference, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var mediaType = response.Content.Headers.ContentType?.MediaType ?? Oci.Manifests.MediaTypes.OciManifest;
        Digest? expected = Digest.TryParse(reference, out var asked) ? asked
            : Digest.TryParse(RawHeader(response, RegistryHeaders.ContentDigest), out var announced) ? announced : null;
        var manifest = Manifest.FromBytes(bytes, mediaType, expected?.Algorithm);
        if (expected is { } digest && manifest.Digest != digest)
        {
            throw new DigestMismatchException(digest.ToString(), manifest.Digest.ToString(), $"manifest {this}:{reference}");
        }
        return new FetchedManifest(manifest, RawHeader(response, RegistryHeaders.ETag));
    }

    /// <summary>
    /// Revalidates a manifest held as <paramref name="held"/> (RFC 9110 §13.1.2): a GET with
    /// <c>If-None-Match</c> set to the held digest's ETag, so an unchanged manifest costs a 304 and no body.
    /// A registry that ignores the condition answers 200; a body with the held digest also counts as
    /// unchanged. Null on 404.
    /// </summary>
    public async Task<ManifestRevalidation?> RevalidateManifestAsync(string reference, Digest held, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path($"manifests/{reference}"));
        foreach (var accept in RegistryClient.ManifestAcceptHeaders) request.Headers.Accept.Add(accept);
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(Oci.Preconditions.EntityTag.ForDigest(held).ToString()));
        using var response = await SendAsync(request, PullScope, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        if (response.StatusCode == HttpStatusCode.NotModified) return new ManifestRevalidation(null);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var fetched = await ReadManifestAsync(response, reference, cancellationToken).ConfigureAwait(false);
        return new ManifestRevalidation(fetched.Digest == held ? null : fetched) { BodyTransferred = true };
    }

    /// <summary>HEAD a manifest: its descriptor, or null on 404.</summary>
    public async Task<Oci.Manifests.Descriptor?> HeadManifestAsync(string reference, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, Path($"manifests/{reference}"));
        foreach (var accept in RegistryClient.ManifestAcceptHeaders) request.Headers.Accept.Add(accept);
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        using var response = await SendAsync(request, PullScope, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        var digest = RawHeader(response, RegistryHeaders.ContentDigest);
        if (digest is null && Digest.TryParse(reference, out _)) digest = reference;
        if (digest is null)
        {
            // Docker-Content-Digest is optional for HEAD; without it only a GET tells the digest.
            return (await GetManifestAsync(reference, cancellationToken).ConfigureAwait(false)).Manifest.Descriptor;
        }
        return new Oci.Manifests.Descriptor
        {
            MediaType = response.Content.Headers.ContentType?.MediaType ?? "",
            Digest = digest,
            Size = response.Content.Headers.ContentLength ?? 0,
        };
    }

    /// <summary>
    /// PUT a manifest under a tag or its digest, with an optional precondition. 412 throws
    /// <see cref="PreconditionFailedException"/>. When the manifest has a <c>subject</c> and the
    /// registry does not answer with <c>OCI-Subject</c>, the referrers tag schema is updated as the
    /// spec requires of clients (distribution-spec "Pushing Manifests with Subject").
    /// </summary>
    public async Task<ManifestPushResult> PutManifestAsync(string reference, Manifest manifest, WriteCondition? condition = null,
        CancellationToken cancellationToken = default)
    {
        var pushed = await PutManifestCoreAsync(reference, manifest, condition ?? WriteCondition.None, cancellationToken).ConfigureAwait(false);
        var parsed = manifest.Parse();
        if (parsed.Subject is { } subject && !pushed.SubjectProcessed)
        {
            var fallback = await AddToReferrersTagAsync(subject, manifest, cancellationToken).ConfigureAwait(false);
            var deleted = await DeleteReplacedReferrersIndexAsync(fallback, cancellationToken).ConfigureAwait(false);
            return pushed with { ReferrersFallback = fallback, DeletedReferrersIndex = deleted };
        }
        return pushed;
    }

    private async Task<ManifestPushResult> PutManifestCoreAsync(string reference, Manifest manifest, WriteCondition condition,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Path($"manifests/{reference}"))
        {
            Content = new ByteArrayContent(manifest.Bytes),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
        condition.Apply(request);
        using var response = await SendAsync(request, PushScope, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);

        // §5.4 step 4: the registry must have stored exactly our bytes.
        if (RawHeader(response, RegistryHeaders.ContentDigest) is { } stored && Digest.TryParse(stored, out var storedDigest)
            && storedDigest != manifest.Digest && storedDigest.Algorithm == manifest.Digest.Algorithm)
        {
            throw new DigestMismatchException(manifest.Digest.ToString(), stored, $"manifest pushed to {this}:{reference}");
        }
        return new ManifestPushResult(manifest.Digest, RawHeader(response, RegistryHeaders.ETag), RawHeader(response, RegistryHeaders.Subject) is not null);
    }

    /// <summary>DELETE a manifest by digest, or a tag by name (end-9), with an optional precondition.</summary>
    public async Task DeleteManifestAsync(string reference, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Path($"manifests/{reference}"));
        (condition ?? WriteCondition.None).Apply(request);
        using var response = await SendAsync(request, DeleteScope, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The probe of conditional-requests §5.4: re-PUT an existing manifest by digest with
    /// <c>If-None-Match: *</c>. A registry that honours it answers 412 and changes nothing; one that
    /// ignores it answers 201, which is harmless because the content is identical.
    /// </summary>
    internal async Task<ConditionalSupport> ProbeConditionalPutAsync(Manifest existing, CancellationToken cancellationToken)
    {
        try
        {
            await PutManifestCoreAsync(existing.Digest.ToString(), existing, WriteCondition.CreateOnly, cancellationToken).ConfigureAwait(false);
            return ConditionalSupport.NotSupported;
        }
        catch (PreconditionFailedException)
        {
            return ConditionalSupport.Probed;
        }
        catch (RegistryRequestException)
        {
            // Any other refusal (400 for the header, 403, 405) proves nothing: treat as unsupported.
            return ConditionalSupport.NotSupported;
        }
    }

    internal static bool IsTag(string reference) => TagName.IsValid(reference);
}
