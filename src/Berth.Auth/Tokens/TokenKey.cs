using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Auth.Tokens;

/// <summary>
/// A key that signs or verifies JWS signatures (RFC 7515) with one fixed algorithm: ES256 (ECDSA P-256
/// with SHA-256, RFC 7518 §3.4) or RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3). The algorithm
/// belongs to the key, never to the token, so a token cannot choose "none" or an HMAC keyed with the
/// public key (the algorithm confusion RFC 8725 §2.1 describes).
/// </summary>
public sealed class TokenKey : IDisposable
{
    public const string ES256 = "ES256";
    public const string RS256 = "RS256";

    private readonly ECDsa? _ec;
    private readonly RSA? _rsa;

    private TokenKey(ECDsa? ec, RSA? rsa, string? keyId)
    {
        _ec = ec;
        _rsa = rsa;
        Algorithm = ec is not null ? ES256 : RS256;
        KeyId = keyId ?? Thumbprint();
    }

    public string Algorithm { get; }

    /// <summary>The "kid": as configured (JWKS), or the RFC 7638 JWK thumbprint of the public key.</summary>
    public string KeyId { get; }

    public bool CanSign { get; private init; }

    /// <summary>A retired signing key verifies until every token it signed has expired, then no more; null for current keys.</summary>
    public DateTimeOffset? VerifiesUntil { get; internal set; }

    public static TokenKey FromEcdsa(ECDsa key, bool isPrivate, string? keyId = null)
    {
        var parameters = key.ExportParameters(false);
        if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new CryptographicException("ES256 needs a P-256 key");
        }
        return new TokenKey(key, null, keyId) { CanSign = isPrivate };
    }

    public static TokenKey FromRsa(RSA key, bool isPrivate, string? keyId = null)
    {
        if (key.KeySize < 2048) throw new CryptographicException("RS256 needs an RSA key of at least 2048 bits");
        return new TokenKey(null, key, keyId) { CanSign = isPrivate };
    }

    public byte[] Sign(ReadOnlySpan<byte> signingInput)
    {
        if (!CanSign) throw new InvalidOperationException("a public key cannot sign");
        return _ec is not null
            ? _ec.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
            : _rsa!.SignData(signingInput.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Checks a signature made with <paramref name="algorithm"/>; any other algorithm than the key's fails.</summary>
    public bool Verify(string algorithm, ReadOnlySpan<byte> signingInput, ReadOnlySpan<byte> signature)
    {
        if (!string.Equals(algorithm, Algorithm, StringComparison.Ordinal)) return false;
        if (_ec is not null)
        {
            // RFC 7518 §3.4: R and S as two 32-byte big-endian integers, nothing else.
            return signature.Length == 64
                   && _ec.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        return signature.Length == _rsa!.KeySize / 8
               && _rsa.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>The public key as a JWK (RFC 7517 §4), with its kid, alg and use.</summary>
    public JsonObject PublicJwk()
    {
        var jwk = RequiredMembers();
        jwk["kid"] = KeyId;
        jwk["alg"] = Algorithm;
        jwk["use"] = "sig";
        return jwk;
    }

    public string ExportPrivateKeyPem() => _ec is not null ? _ec.ExportPkcs8PrivateKeyPem() : _rsa!.ExportPkcs8PrivateKeyPem();

    public string ExportPublicKeyPem() => _ec is not null ? _ec.ExportSubjectPublicKeyInfoPem() : _rsa!.ExportSubjectPublicKeyInfoPem();

    public void Dispose()
    {
        _ec?.Dispose();
        _rsa?.Dispose();
    }

    /// <summary>RFC 7638 §3: SHA-256 over the required members, lexicographically ordered, no whitespace.</summary>
    private string Thumbprint()
    {
        var members = RequiredMembers();
        var json = _ec is not null
            ? $"{{\"crv\":\"{members["crv"]}\",\"kty\":\"EC\",\"x\":\"{members["x"]}\",\"y\":\"{members["y"]}\"}}"
            : $"{{\"e\":\"{members["e"]}\",\"kty\":\"RSA\",\"n\":\"{members["n"]}\"}}";
        return System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
    }

    private JsonObject RequiredMembers()
    {
        if (_ec is not null)
        {
            var p = _ec.ExportParameters(false);
            return new JsonObject
            {
                ["kty"] = "EC",
                ["crv"] = "P-256",
                ["x"] = System.Buffers.Text.Base64Url.EncodeToString(p.Q.X),
                ["y"] = System.Buffers.Text.Base64Url.EncodeToString(p.Q.Y),
            };
        }
        var r = _rsa!.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["n"] = System.Buffers.Text.Base64Url.EncodeToString(r.Modulus),
            ["e"] = System.Buffers.Text.Base64Url.EncodeToString(r.Exponent),
        };
    }
}
