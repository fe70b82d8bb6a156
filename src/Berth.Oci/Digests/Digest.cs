using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Berth.Oci.Digests;

/// <summary>
/// A content digest "algorithm:encoded" (image-spec descriptor.md "Digests").
/// Only registered algorithms with their exact hex length are accepted, so a parsed digest is always
/// safe to use as a file name.
/// </summary>
public readonly partial record struct Digest
{
    private Digest(DigestAlgorithm algorithm, string encoded)
    {
        Algorithm = algorithm;
        Encoded = encoded;
    }

    public DigestAlgorithm Algorithm { get; }

    /// <summary>The lower-case hex hash.</summary>
    public string Encoded { get; }

    public override string ToString() => Algorithm is null ? "" : $"{Algorithm.Name}:{Encoded}";

    /// <summary>The grammar of the image spec: algorithm ":" encoded; <c>\z</c> because <c>$</c> also matches before a final "\n".</summary>
    [GeneratedRegex(@"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    /// <summary>Whether the text looks like a digest at all (it may still use an unsupported algorithm).</summary>
    public static bool IsDigestShaped(string? text) => text is not null && text.Length <= 256 && Grammar().IsMatch(text);

    public static bool TryParse(string? text, out Digest digest)
    {
        digest = default;
        if (!IsDigestShaped(text)) return false;
        var colon = text!.IndexOf(':');
        var algorithm = DigestAlgorithm.FromName(text[..colon]);
        if (algorithm is null) return false;
        var encoded = text[(colon + 1)..];
        if (encoded.Length != algorithm.EncodedLength) return false;
        foreach (var c in encoded)
        {
            if (!char.IsAsciiHexDigitLower(c)) return false;
        }
        digest = new Digest(algorithm, encoded);
        return true;
    }

    public static Digest Parse(string text) =>
        TryParse(text, out var digest) ? digest : throw new FormatException($"'{text}' is not a supported digest.");

    public static Digest Compute(DigestAlgorithm algorithm, ReadOnlySpan<byte> content)
    {
        Span<byte> hash = stackalloc byte[64];
        var written = algorithm == DigestAlgorithm.Sha512
            ? SHA512.HashData(content, hash)
            : SHA256.HashData(content, hash);
        return FromHash(algorithm, hash[..written]);
    }

    public static Digest FromHash(DigestAlgorithm algorithm, ReadOnlySpan<byte> hash) =>
        new(algorithm, Convert.ToHexStringLower(hash));

    public bool IsDefault => Algorithm is null;
}
