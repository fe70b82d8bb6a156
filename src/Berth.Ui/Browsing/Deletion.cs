using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Names;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Berth.Registry.Policies;

namespace Berth.Ui.Browsing;

public enum DeletionStatus
{
    Deleted,

    /// <summary>The tag no longer points at the digest the confirmation page showed (412 on the API).</summary>
    Conflict,

    /// <summary>Gone already (404 on the API).</summary>
    NotFound,

    /// <summary>Refused by read-only mode, deletes being off, a policy, or anything else the API would refuse.</summary>
    Refused,
}

public sealed record DeletionOutcome(DeletionStatus Status, string Message, Digest? Current = null);

/// <summary>
/// Deletes a tag or a manifest through <see cref="Registry.Operations.ManifestOperations.DeleteAsync"/> with
/// If-Match set to the digest the confirmation page showed: the check and the delete are one store transaction, so a
/// tag someone moved since is never deleted.
/// </summary>
public sealed class Deletion(BerthRegistry registry)
{
    /// <summary>Why no delete can succeed now (read-only mode, deletesEnabled false); null when deletes are possible.</summary>
    public string? Refusal => registry.Admission.Refusal(WriteKind.Delete)?.Message;

    public async Task<DeletionOutcome> DeleteAsync(string repository, string reference, string expectedDigest, string? actor)
    {
        if (!Digest.TryParse(expectedDigest, out var expected))
        {
            return new DeletionOutcome(DeletionStatus.Refused, "The confirmation form is incomplete: it did not say which version to delete. Nothing was deleted.");
        }
        EntityTagList.TryParse([EntityTag.ForDigest(expected).ToString()], out var ifMatch);
        var conditions = new RequestPreconditions { IfMatch = ifMatch };
        var result = await registry.Manifests.DeleteAsync(repository, reference, conditions, actor);
        if (result.IsSuccess)
        {
            var what = TagName.IsValid(reference) && !reference.Contains(':') ? $"Tag {reference}" : $"Manifest {ShortDigest(expected)}";
            return new DeletionOutcome(DeletionStatus.Deleted, $"{what} was deleted from {repository}.");
        }
        var error = result.Error;
        if (error.Status == 412)
        {
            Digest? current = error.CurrentEntityTag is { } etag && Digest.TryParse(etag.Trim('"'), out var now) ? now : null;
            var message = current is null
                ? $"{reference} was deleted by someone else after you opened the confirmation page."
                : $"Someone moved {reference} after you opened the confirmation page: it now points at {ShortDigest(current.Value)}, not {ShortDigest(expected)}. Nothing was deleted.";
            return new DeletionOutcome(DeletionStatus.Conflict, message, current);
        }
        if (error.Status == 404) return new DeletionOutcome(DeletionStatus.NotFound, $"{reference} no longer exists in {repository}.");
        return new DeletionOutcome(DeletionStatus.Refused, error.Message);
    }

    public static string ShortDigest(Digest digest) => ShortDigest(digest.ToString());

    public static string ShortDigest(string digest)
    {
        var colon = digest.IndexOf(':');
        return colon < 0 || digest.Length < colon + 13 ? digest : digest[..(colon + 13)];
    }
}
