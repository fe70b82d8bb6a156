using Berth.Oci.Auth;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Auth.Scopes;
using Berth.Auth.Tokens;

namespace Berth.Auth.Tests;

/// <summary>
/// Deterministic fuzzing of the token parser and validator (seeded, so a failure replays): random strings,
/// mutations of genuine tokens, and well-signed tokens with random headers and claims. Whatever comes in,
/// the answer is a <see cref="TokenValidation"/>, never an exception; a changed token is never accepted.
/// </summary>
public sealed class TokenParserFuzzTests
{
    private const int Rounds = 4000;
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TokenKey Ec = TokenKey.FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256), isPrivate: true);
    private static readonly TokenKey Rsa = TokenKey.FromRsa(RSA.Create(2048), isPrivate: true);

    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private const string Awkward = ".=+/ \t\r\n\0\"{}[]:,\\%~\u00e9\u2028\ud83d\ude00\uffff";

    private readonly FixedClock _clock = new(Now);

    public static TheoryData<string> Algorithms => [TokenKey.ES256, TokenKey.RS256];

    [Fact]
    public void RandomStrings_AreRefused_WithoutThrowing()
    {
        var random = new Random(1234);
        var validator = Validator(Ec);
        for (var round = 0; round < Rounds; round++)
        {
            var length = random.Next(0, round % 10 == 0 ? 20_000 : 400);
            var builder = new StringBuilder(length);
            for (var i = 0; i < length; i++)
            {
                var pick = random.Next(100);
                builder.Append(pick < 80 ? Base64UrlAlphabet[random.Next(Base64UrlAlphabet.Length)]
                    : pick < 90 ? '.' : Awkward[random.Next(Awkward.Length)]);
            }
            var text = builder.ToString();
            Refused(validator, text, $"round {round}");
        }
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void MutationsOfAGenuineToken_AreRefused_WithoutThrowing(string algorithm)
    {
        var key = algorithm == TokenKey.ES256 ? Ec : Rsa;
        var validator = Validator(key);
        var issuer = new TokenIssuer(key, "berth", "registry.test", TimeSpan.FromMinutes(5), TimeSpan.FromDays(1), _clock);
        var genuine = issuer.IssueAccess("alice", [AccessScope.Repository("team/app", "pull")]).Token;
        var refresh = issuer.IssueRefresh("alice", "fingerprint");
        Assert.True(validator.ValidateAccessToken(genuine).IsValid);
        Assert.True(validator.ValidateRefreshToken(refresh).IsValid);

        var random = new Random(algorithm == TokenKey.ES256 ? 42 : 43);
        var tried = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < Rounds; round++)
        {
            var original = round % 4 == 0 ? refresh : genuine;
            var mutated = Mutate(original, random);
            if (mutated == original || !tried.Add(mutated)) continue;
            var access = validator.ValidateAccessToken(mutated);
            var asRefresh = validator.ValidateRefreshToken(mutated);
            Assert.False(access.IsValid, $"round {round}: a mutated token was accepted: {mutated}");
            Assert.False(asRefresh.IsValid, $"round {round}: a mutated token was accepted as a refresh token: {mutated}");
        }
        Assert.True(tried.Count > Rounds / 2, $"only {tried.Count} distinct mutations");
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void WellSignedTokensWithRandomHeadersAndClaims_NeverThrow_AndAreOnlyAcceptedWhenSound(string algorithm)
    {
        var key = algorithm == TokenKey.ES256 ? Ec : Rsa;
        var validator = Validator(key);
        var random = new Random(algorithm == TokenKey.ES256 ? 7 : 8);
        var accepted = 0;
        for (var round = 0; round < Rounds / 4; round++)
        {
            // A sound header and claim set, then up to three members replaced by random values or removed.
            var header = new JsonObject { ["typ"] = "JWT", ["alg"] = algorithm, ["kid"] = key.KeyId };
            var claims = new JsonObject
            {
                ["iss"] = "berth", ["sub"] = "alice", ["aud"] = "registry.test", ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds(),
                ["nbf"] = Now.ToUnixTimeSeconds(), ["iat"] = Now.ToUnixTimeSeconds(), ["jti"] = "1",
                ["access"] = new JsonArray(new JsonObject { ["type"] = "repository", ["name"] = "team/app", ["actions"] = new JsonArray("pull") }),
            };
            for (var change = random.Next(4); change > 0; change--)
            {
                var inHeader = random.Next(3) == 0;
                var target = inHeader ? header : claims;
                string[] names = inHeader ? ["typ", "alg", "kid", "crit", "jwk", "zip"] : ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "access", RefreshClaims.Credential];
                var name = names[random.Next(names.Length)];
                if (random.Next(4) == 0) target.Remove(name);
                else target[name] = RandomClaimValue(random, key);
            }
            var token = CompactJws.Sign(header, claims, key);
            var result = validator.ValidateAccessToken(token);
            validator.ValidateRefreshToken(token);
            if (!result.IsValid) continue;
            accepted++;
            // Accepted only with a trusted issuer, the right audience and a live expiry.
            Assert.Equal("berth", (string?)claims["iss"]);
            Assert.True(result.Token!.Expires >= Now - TimeSpan.FromMinutes(1));
            Assert.True((string?)header["alg"] == algorithm);
            Assert.False(header.ContainsKey("crit"));
        }
        // The generator does reach valid tokens, so the checks above were exercised.
        Assert.True(accepted > 0, "no random token was valid; the generator is too wild to test acceptance");
    }

    /// <summary>
    /// RFC 4648 §3.5: the unused low bits of the last character must be zero. A decoder that ignored them would
    /// take fifteen other spellings of the same signature, so a token would not be one string.
    /// </summary>
    [Theory]
    [MemberData(nameof(Algorithms))]
    public void SignatureSpelledWithNonZeroUnusedBits_IsRefused(string algorithm)
    {
        var key = algorithm == TokenKey.ES256 ? Ec : Rsa;
        var genuine = new TokenIssuer(key, "berth", "registry.test", TimeSpan.FromMinutes(5), TimeSpan.FromDays(1), _clock).IssueAccess("alice", []).Token;
        var last = Base64UrlAlphabet.IndexOf(genuine[^1]);
        // 64 and 256 signature bytes both leave one byte for the last two characters: 4 unused bits.
        Assert.Equal(0, last & 0b1111);
        for (var bits = 1; bits < 16; bits++)
        {
            var respelled = genuine[..^1] + Base64UrlAlphabet[last | bits];
            Assert.False(Validator(key).ValidateAccessToken(respelled).IsValid, $"unused bits {bits}");
        }
    }

    private void Refused(TokenValidator validator, string token, string context)
    {
        // The parser alone must not throw either (it runs before any key is chosen).
        CompactJws.TryParse(token, out _);
        Assert.False(validator.ValidateAccessToken(token).IsValid, context);
        Assert.False(validator.ValidateRefreshToken(token).IsValid, context);
    }

    private TokenValidator Validator(TokenKey key) =>
        new([new TrustedIssuer("berth", "registry.test", [key], IsBuiltIn: true)], TimeSpan.FromMinutes(1), _clock);

    /// <summary>One to three edits of the token text, or of its decoded header or payload re-encoded under the old signature.</summary>
    private static string Mutate(string token, Random random)
    {
        var text = token;
        var edits = random.Next(1, 4);
        for (var edit = 0; edit < edits; edit++)
        {
            var position = random.Next(text.Length + 1);
            text = random.Next(9) switch
            {
                0 when position < text.Length => text.Remove(position, 1),
                1 => text.Insert(position, Base64UrlAlphabet[random.Next(Base64UrlAlphabet.Length)].ToString()),
                2 when position < text.Length => text[..position] + Base64UrlAlphabet[random.Next(Base64UrlAlphabet.Length)] + text[(position + 1)..],
                3 => text.Insert(position, Awkward[random.Next(Awkward.Length)].ToString()),
                4 => text[..position],
                5 => SwapParts(text, random),
                6 => ReencodePart(text, random, 0),
                7 => ReencodePart(text, random, 1),
                _ => FlipLastCharacter(text, random),
            };
        }
        return text;
    }

    private static string SwapParts(string token, Random random)
    {
        var parts = token.Split('.');
        if (parts.Length < 2) return token + "." + token;
        var a = random.Next(parts.Length);
        var b = random.Next(parts.Length);
        (parts[a], parts[b]) = (parts[b], parts[a]);
        return string.Join('.', random.Next(5) == 0 ? [.. parts, parts[0]] : parts);
    }

    /// <summary>The signature's last character carries unused bits; only the canonical spelling may verify.</summary>
    private static string FlipLastCharacter(string token, Random random)
    {
        var parts = token.Split('.');
        var index = random.Next(parts.Length);
        if (parts[index].Length == 0) return token;
        var last = parts[index][^1];
        var position = Base64UrlAlphabet.IndexOf(last);
        if (position < 0) return token;
        parts[index] = parts[index][..^1] + Base64UrlAlphabet[position ^ (1 << random.Next(4))];
        return string.Join('.', parts);
    }

    /// <summary>Decodes the header or payload, changes one member, and re-encodes it in front of the unchanged signature.</summary>
    private static string ReencodePart(string token, Random random, int index)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return token;
        JsonObject json;
        try
        {
            json = JsonNode.Parse(Base64Url.DecodeFromChars(parts[index]))!.AsObject();
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return token;
        }
        var names = json.Select(m => m.Key).ToList();
        if (names.Count == 0) return token;
        var name = names[random.Next(names.Count)];
        json[name] = RandomJson(random, 1);
        parts[index] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json.ToJsonString()));
        return string.Join('.', parts);
    }

    /// <summary>Mostly plausible claim values (so that some tokens are valid), sometimes anything.</summary>
    private static JsonNode? RandomClaimValue(Random random, TokenKey key) => random.Next(12) switch
    {
        0 => "berth",
        1 => "registry.test",
        2 => new JsonArray("other", "registry.test"),
        3 => Now.AddSeconds(random.Next(-600, 600)).ToUnixTimeSeconds(),
        4 => random.Next(2) == 0 ? 253402300799 : 253402300800,
        5 => random.NextDouble() * 1e12,
        6 => new JsonArray(new JsonObject { ["type"] = "repository", ["name"] = "team/app", ["actions"] = new JsonArray("pull") }),
        7 => JsonValue.Create(key.KeyId),
        _ => RandomJson(random, 2),
    };

    private static JsonNode? RandomJson(Random random, int depth) => random.Next(depth > 0 ? 10 : 7) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.Next(),
        3 => random.Next(3) switch { 0 => double.MaxValue, 1 => -random.NextDouble() * 1e300, _ => random.NextDouble() },
        4 => RandomText(random),
        5 => "",
        6 => (long)random.Next() << 20,
        7 => new JsonArray([.. Enumerable.Range(0, random.Next(4)).Select(_ => RandomJson(random, depth - 1))]),
        _ => new JsonObject(Enumerable.Range(0, random.Next(4))
            .Select(i => KeyValuePair.Create($"k{i}{RandomText(random)}", RandomJson(random, depth - 1)))),
    };

    private static string RandomText(Random random)
    {
        var length = random.Next(0, 12);
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = random.Next(4) == 0 ? Awkward[random.Next(Awkward.Length)] : Base64UrlAlphabet[random.Next(Base64UrlAlphabet.Length)];
        // A lone surrogate cannot be written as UTF-8 JSON; keep the text well formed, the awkwardness is elsewhere.
        return new string(chars).Replace("\ud83d", "", StringComparison.Ordinal).Replace("\ude00", "", StringComparison.Ordinal);
    }
}
