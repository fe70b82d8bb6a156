using Berth.Oci.Digests;

namespace Berth.Oci.Preconditions;

/// <summary>An entity tag (RFC 9110 §8.8.3): an opaque quoted string, possibly weak.</summary>
public readonly record struct EntityTag(string Opaque, bool IsWeak)
{
    /// <summary>Berth's ETag for content with this digest: the quoted digest, strong.</summary>
    public static EntityTag ForDigest(Digest digest) => new(digest.ToString(), false);

    /// <summary>RFC 9110 §8.8.3.2: both strong and octet-identical.</summary>
    public bool StrongEquals(EntityTag other) => !IsWeak && !other.IsWeak && Opaque == other.Opaque;

    /// <summary>RFC 9110 §8.8.3.2: octet-identical opaque tags, ignoring W/.</summary>
    public bool WeakEquals(EntityTag other) => Opaque == other.Opaque;

    public override string ToString() => IsWeak ? $"W/\"{Opaque}\"" : $"\"{Opaque}\"";
}
