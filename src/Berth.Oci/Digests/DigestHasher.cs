using System.Security.Cryptography;

namespace Berth.Oci.Digests;

/// <summary>
/// Hashes content as it streams past, so a digest is verified without reading the data a second time.
/// </summary>
public sealed class DigestHasher : IDisposable
{
    private readonly IncrementalHash _hash;

    public DigestHasher(DigestAlgorithm algorithm)
    {
        Algorithm = algorithm;
        _hash = IncrementalHash.CreateHash(algorithm.HashName);
    }

    public DigestAlgorithm Algorithm { get; }

    /// <summary>Number of bytes hashed so far.</summary>
    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        _hash.AppendData(data);
        Length += data.Length;
    }

    /// <summary>The digest of everything appended so far; the hasher can keep going afterwards.</summary>
    public Digest Current()
    {
        Span<byte> hash = stackalloc byte[64];
        var written = _hash.GetCurrentHash(hash);
        return Digest.FromHash(Algorithm, hash[..written]);
    }

    public void Dispose() => _hash.Dispose();
}
