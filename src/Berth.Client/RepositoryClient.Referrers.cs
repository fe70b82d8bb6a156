using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Berth.Client.Conditional;
using Berth.Client.Errors;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Oci.Protocol;

namespace Berth.Client;

public enum ReferrersSource
{
    /// <summary><c>GET /v2/&lt;name&gt;/referrers/&lt;digest&gt;</c> (end-12a).</summary>
    Api,

    /// <summary>The registry has no referrers API (404); the <c>&lt;alg&gt;-&lt;ref&gt;</c> tag was read instead.</summary>
    TagSchema,
}

public sealed record ReferrersResult(IReadOnlyList<Descriptor> Referrers, ReferrersSource Source);

/// <summary>Referrers: the API, and the referrers tag schema that clients maintain where it is missing.</summary>
public sealed partial class RepositoryClient
{
    /// <summary>
    /// Manifests whose <c>subject</c> is <paramref name="subject"/>. Uses the referrers API; a 404 means
    /// the registry does not implement it, and then the spec tells clients to read the referrers tag
    /// schema instead (distribution-spec "Listing Referrers", "Referrers Tag Schema").
    /// </summary>
    public async Task<ReferrersResult> GetReferrersAsync(Digest subject, string? artifactType = null, CancellationToken cancellationToken = default)
    {
        var found = new List<Descriptor>();
        var filter = artifactType is null ? "" : $"?artifactType={Uri.EscapeDataString(artifactType)}";
        string? next = Path($"referrers/{subject}{filter}");
        var filtered = true;
        while (next is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
            using var response = await SendAsync(request, PullScope, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && found.Count == 0)
            {
                return await ReferrersFromTagSchemaAsync(subject, artifactType, cancellationToken).ConfigureAwait(false);
            }
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            // end-12b: a registry that applied the filter says so; otherwise the client filters.
            filtered &= artifactType is null || RawHeader(response, RegistryHeaders.FiltersApplied)?.Contains("artifactType", StringComparison.Ordinal) == true;
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var index = Manifest.FromBytes(bytes, MediaTypes.OciIndex);
            found.AddRange(index.ChildManifests().Select(Manifest.ToDescriptor));
            next = NextPageLink(response);
        }
        return new ReferrersResult(Filter(found, filtered ? null : artifactType), ReferrersSource.Api);
    }

    /// <summary>distribution-spec "Referrers Tag Schema": <c>&lt;alg&gt;-&lt;ref&gt;</c>, the encoded digest limited to 64 characters.</summary>
    public static string ReferrersTag(Digest subject) =>
        $"{subject.Algorithm.Name}-{subject.Encoded[..Math.Min(64, subject.Encoded.Length)]}";

    private async Task<ReferrersResult> ReferrersFromTagSchemaAsync(Digest subject, string? artifactType, CancellationToken cancellationToken)
    {
        var index = await TryGetManifestAsync(ReferrersTag(subject), cancellationToken).ConfigureAwait(false);
        var all = index?.Manifest.ChildManifests().Select(Manifest.ToDescriptor).ToList() ?? [];
        return new ReferrersResult(Filter(all, artifactType), ReferrersSource.TagSchema);
    }

    private static List<Descriptor> Filter(List<Descriptor> descriptors, string? artifactType) =>
        artifactType is null ? descriptors : [.. descriptors.Where(d => d.ArtifactType == artifactType)];

    /// <summary>
    /// The client's half of "Pushing Manifests with Subject" when the registry did not answer with
    /// <c>OCI-Subject</c>: add the new manifest's descriptor to the index under the referrers tag. The
    /// spec requires this whether or not the registry honours preconditions, so an unprotected registry
    /// still gets the update (best effort, checked by reading back) and the result says so; where
    /// preconditions work, concurrent attachers cannot drop each other (conditional-requests §4 case 1).
    /// </summary>
    private Task<ManifestUpdateResult> AddToReferrersTagAsync(Digest subject, Manifest referrer, CancellationToken cancellationToken)
    {
        var parsed = referrer.Parse();
        var entry = new JsonObject
        {
            ["mediaType"] = referrer.MediaType,
            ["digest"] = referrer.Digest.ToString(),
            ["size"] = referrer.Bytes.Length,
        };
        if (parsed.ArtifactType is { } type) entry["artifactType"] = type;
        if (parsed.Annotations is { Count: > 0 } annotations)
        {
            var node = new JsonObject();
            foreach (var (key, value) in annotations) node[key] = value;
            entry["annotations"] = node;
        }

        return UpdateTagAsync(ReferrersTag(subject), current =>
        {
            var index = current?.Manifest.ToJson() ?? new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = MediaTypes.OciIndex,
                ["manifests"] = new JsonArray(),
            };
            if (index["manifests"] is not JsonArray manifests)
            {
                manifests = new JsonArray();
                index["manifests"] = manifests;
            }
            if (manifests.OfType<JsonObject>().Any(m => m["digest"]?.GetValue<string>() == referrer.Digest.ToString())) return null;
            manifests.Add(entry.DeepClone());
            return Manifest.FromJson(index);
        }, UnprotectedWritePolicy.Proceed, cancellationToken);
    }

    /// <summary>
    /// After the referrers tag moved to a new index, the index it held is referenced by nothing: no
    /// registry keeps it alive for the client, so the client deletes it by digest, as oras-go does unless
    /// SkipReferrersGC (registry/remote/repository.go, updateReferrersIndex step 4). Only when the move is
    /// known to have happened — the conditional PUT succeeded, or on a registry that ignores
    /// preconditions the read-back showed our index — since deleting a manifest by digest also removes
    /// every tag on it (distribution-spec end-9). Returns the deleted digest.
    /// </summary>
    private async Task<Digest?> DeleteReplacedReferrersIndexAsync(ManifestUpdateResult fallback, CancellationToken cancellationToken)
    {
        if (!Registry.Options.DeleteReplacedReferrersIndexes || !fallback.Changed || fallback.Previous is not { } previous
            || previous == fallback.Digest || !(fallback.IsProtected || fallback.ConfirmedByReadBack == true)) return null;
        try
        {
            await DeleteManifestAsync(previous.ToString(), cancellationToken: cancellationToken).ConfigureAwait(false);
            return previous;
        }
        catch (RegistryRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.MethodNotAllowed
                                                     or System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden
                                                 || e.HasCode("UNSUPPORTED"))
        {
            // Not an error: distribution-spec end-9 lets a registry refuse deletes (405 UNSUPPORTED, as CNCF
            // Distribution does unless storage.delete is enabled), a user may push without the right to
            // delete (401/403 DENIED), and 404 means someone removed it already. The referrers tag is
            // correct either way; the old index merely stays behind as untagged content.
            return null;
        }
    }
}
