using System.Security.Cryptography;

namespace Berth.Oci.Digests;

/// <summary>
/// A hash algorithm the registry accepts in digests. The OCI image spec registers sha256 and sha512
/// (image-spec descriptor.md "Registered algorithms"); anything else is refused with DIGEST_INVALID.
/// </summary>
public sealed class DigestAlgorithm
{
    public static readonly DigestAlgorithm Sha256 = new("sha256", HashAlgorithmName.SHA256, 64);
    public static readonly DigestAlgorithm Sha512 = new("sha512", HashAlgorithmName.SHA512, 128);

    private DigestAlgorithm(string name, HashAlgorithmName hashName, int encodedLength)
    {
        Name = name;
        HashName = hashName;
        EncodedLength = encodedLength;
    }

    /// <summary>The algorithm identifier as written in a digest, e.g. "sha256".</summary>
    public string Name { get; }

    public HashAlgorithmName HashName { get; }

    /// <summary>Length of the lower-case hex encoding of the hash.</summary>
    public int EncodedLength { get; }

    public static DigestAlgorithm? FromName(string? name) => name switch
    {
        "sha256" => Sha256,
        "sha512" => Sha512,
        _ => null,
    };

    public override string ToString() => Name;
}
