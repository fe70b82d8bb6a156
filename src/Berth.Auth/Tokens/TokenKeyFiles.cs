using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Berth.Auth.Tokens;

/// <summary>Reads verification keys of an external token issuer: PEM public keys or certificates, or a JWKS document.</summary>
public static class TokenKeyFiles
{
    /// <summary>Every "PUBLIC KEY" or "CERTIFICATE" block of a PEM file (a bundle may hold the current and next key).</summary>
    public static IReadOnlyList<TokenKey> ReadPublicPem(string pem, string source)
    {
        var keys = new List<TokenKey>();
        var rest = pem.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var block = rest[fields.Location].ToString();
            var label = rest.Span[fields.Label].ToString();
            keys.Add(label switch
            {
                "PUBLIC KEY" => FromSubjectPublicKeyInfo(Convert.FromBase64String(rest.Span[fields.Base64Data].ToString()), source),
                "CERTIFICATE" => FromCertificate(X509Certificate2.CreateFromPem(block), source),
                _ => throw new InvalidDataException($"{source}: a '{label}' block is no public key; use PUBLIC KEY or CERTIFICATE"),
            });
            rest = rest[fields.Location.End..];
        }
        if (keys.Count == 0) throw new InvalidDataException($"{source}: no PEM public key found");
        return keys;
    }

    /// <summary>RFC 7517 §5 key set: EC P-256 and RSA keys meant for signatures ("use" absent or "sig").</summary>
    public static IReadOnlyList<TokenKey> ReadJwks(string json, string source)
    {
        var keys = new List<TokenKey>();
        if (JsonNode.Parse(json)?["keys"] is not JsonArray array) throw new InvalidDataException($"{source}: not a JWKS document (no \"keys\")");
        foreach (var node in array)
        {
            if (node is not JsonObject jwk) continue;
            var use = (string?)jwk["use"];
            if (use is not null && use != "sig") continue;
            var kid = (string?)jwk["kid"];
            switch ((string?)jwk["kty"])
            {
                case "EC" when (string?)jwk["crv"] == "P-256":
                    var ec = ECDsa.Create(new ECParameters
                    {
                        Curve = ECCurve.NamedCurves.nistP256,
                        Q = new ECPoint { X = Base64Url(jwk, "x", source), Y = Base64Url(jwk, "y", source) },
                    });
                    keys.Add(TokenKey.FromEcdsa(ec, isPrivate: false, kid));
                    break;
                case "RSA":
                    var rsa = RSA.Create();
                    rsa.ImportParameters(new RSAParameters { Modulus = Base64Url(jwk, "n", source), Exponent = Base64Url(jwk, "e", source) });
                    keys.Add(TokenKey.FromRsa(rsa, isPrivate: false, kid));
                    break;
            }
        }
        if (keys.Count == 0) throw new InvalidDataException($"{source}: no usable EC P-256 or RSA signing key");
        return keys;
    }

    /// <summary>A PKCS#8 ("PRIVATE KEY"), "EC PRIVATE KEY" or "RSA PRIVATE KEY" PEM.</summary>
    public static TokenKey ReadPrivatePem(string pem, string source)
    {
        if (!PemEncoding.TryFind(pem, out var fields)) throw new InvalidDataException($"{source}: no PEM private key found");
        var label = pem[fields.Label];
        try
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return TokenKey.FromEcdsa(ec, isPrivate: true);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            if (label == "EC PRIVATE KEY") throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new InvalidDataException($"{source}: not an EC P-256 or RSA private key", e);
        }
        return TokenKey.FromRsa(rsa, isPrivate: true);
    }

    private static TokenKey FromSubjectPublicKeyInfo(byte[] spki, string source)
    {
        try
        {
            var ec = ECDsa.Create();
            ec.ImportSubjectPublicKeyInfo(spki, out _);
            return TokenKey.FromEcdsa(ec, isPrivate: false);
        }
        catch (CryptographicException)
        {
        }
        try
        {
            var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(spki, out _);
            return TokenKey.FromRsa(rsa, isPrivate: false);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"{source}: the public key is neither EC P-256 nor RSA", e);
        }
    }

    private static TokenKey FromCertificate(X509Certificate2 certificate, string source)
    {
        if (certificate.GetECDsaPublicKey() is { } ec) return TokenKey.FromEcdsa(ec, isPrivate: false);
        if (certificate.GetRSAPublicKey() is { } rsa) return TokenKey.FromRsa(rsa, isPrivate: false);
        throw new InvalidDataException($"{source}: the certificate's key is neither EC P-256 nor RSA");
    }

    private static byte[] Base64Url(JsonObject jwk, string member, string source) =>
        (string?)jwk[member] is { } value
            ? System.Buffers.Text.Base64Url.DecodeFromChars(value)
            : throw new InvalidDataException($"{source}: a key lacks \"{member}\"");
}
