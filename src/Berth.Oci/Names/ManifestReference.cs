using Berth.Oci.Digests;

namespace Berth.Oci.Names;

/// <summary>The &lt;reference&gt; of a manifest URL: either a tag or a digest.</summary>
public readonly record struct ManifestReference
{
    private ManifestReference(string? tag, Digest digest)
    {
        Tag = tag;
        Digest = digest;
    }

    public string? Tag { get; }

    public Digest Digest { get; }

    public bool IsTag => Tag is not null;

    public static ManifestReference ForTag(string tag) => new(tag, default);

    public static ManifestReference ForDigest(Digest digest) => new(null, digest);

    /// <summary>
    /// A reference containing ':' is a digest (tags cannot contain it); otherwise it must be a valid tag.
    /// </summary>
    public static bool TryParse(string text, out ManifestReference reference, out bool looksLikeDigest)
    {
        looksLikeDigest = text.Contains(':');
        if (looksLikeDigest)
        {
            var ok = Digest.TryParse(text, out var digest);
            reference = ok ? ForDigest(digest) : default;
            return ok;
        }
        reference = TagName.IsValid(text) ? ForTag(text) : default;
        return reference.Tag is not null;
    }

    public override string ToString() => Tag ?? Digest.ToString();
}
