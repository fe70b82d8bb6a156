using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Auth.Tokens;

namespace Berth.Server.Tests.Support;

/// <summary>The ways an attacker alters a signed token (RFC 8725 §2), applied to a genuine one.</summary>
public static class TokenTampering
{
    public static string Apply(string tampering, string genuine, TokenKey key)
    {
        var parts = genuine.Split('.');
        var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!.AsObject();
        var claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        switch (tampering)
        {
            case "alg-none":
                // RFC 7518 §3.6 unsecured JWS: no signature at all.
                header["alg"] = "none";
                return $"{Encode(header)}.{Encode(claims)}.";
            case "wrong-key":
                // Same header (kid included), signed by a key the registry never saw.
                using (var other = TokenKey.FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256), isPrivate: true))
                {
                    var input = $"{parts[0]}.{parts[1]}";
                    return $"{input}.{Base64Url.EncodeToString(other.Sign(Encoding.ASCII.GetBytes(input)))}";
                }
            case "changed-claims":
                // The genuine signature over claims that now grant push.
                claims["access"]![0]!["actions"] = new JsonArray("pull", "push", "delete");
                return $"{parts[0]}.{Encode(claims)}.{parts[2]}";
            case "hmac-with-public-key":
                // Algorithm confusion: HS256 keyed with the (public) verification key.
                header["alg"] = "HS256";
                var signingInput = $"{Encode(header)}.{Encode(claims)}";
                var mac = HMACSHA256.HashData(Encoding.ASCII.GetBytes(key.ExportPublicKeyPem()), Encoding.ASCII.GetBytes(signingInput));
                return $"{signingInput}.{Base64Url.EncodeToString(mac)}";
            case "garbage":
                return "not.a.token";
            default:
                throw new ArgumentOutOfRangeException(nameof(tampering));
        }
    }

    private static string Encode(JsonObject value) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value.ToJsonString()));
}
