using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Auth.Tokens;

/// <summary>
/// The JWS compact serialization (RFC 7515 §7.1): BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature).
/// Parsing only splits and decodes; nothing in a parsed token is trusted until a key has verified it.
/// </summary>
public sealed class CompactJws
{
    /// <summary>Tokens larger than this are refused before any decoding or crypto work.</summary>
    public const int MaxLength = 16 * 1024;

    private CompactJws(JsonObject header, JsonObject payload, byte[] signingInput, byte[] signature)
    {
        Header = header;
        Payload = payload;
        SigningInput = signingInput;
        Signature = signature;
    }

    public JsonObject Header { get; }

    public JsonObject Payload { get; }

    /// <summary>The ASCII bytes the signature covers: the first two parts and the dot between them, as sent.</summary>
    public byte[] SigningInput { get; }

    public byte[] Signature { get; }

    public static string Sign(JsonObject header, JsonObject payload, TokenKey key)
    {
        var signingInput = Encode(header) + "." + Encode(payload);
        var signature = key.Sign(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    public static bool TryParse(string token, [NotNullWhen(true)] out CompactJws? jws)
    {
        jws = null;
        if (token.Length is 0 or > MaxLength) return false;
        var parts = token.Split('.');
        // Five parts would be JWE (RFC 7516); Berth neither issues nor accepts encrypted tokens.
        if (parts.Length != 3 || parts[0].Length == 0 || parts[1].Length == 0) return false;
        if (TryDecodeObject(parts[0]) is not { } header || TryDecodeObject(parts[1]) is not { } payload) return false;
        if (!TryDecode(parts[2], out var signature)) return false;
        jws = new CompactJws(header, payload, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature);
        return true;
    }

    /// <summary>Without HTML-safe escaping, so "berth-refresh+jwt" is written as such rather than with "\u002B".</summary>
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Encode(JsonObject value) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value.ToJsonString(Compact)));

    private static JsonObject? TryDecodeObject(string part)
    {
        // RFC 7515 §4 and RFC 8259 §8.1: the header and the claims are UTF-8 JSON. The JSON reader checks the
        // text of a string only when it is read, which would throw deep inside a check; refuse it here instead.
        if (!TryDecode(part, out var bytes) || !System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        try
        {
            // Duplicate member names are refused (RFC 7515 §5.2 allows a recipient to reject them), so a
            // second "alg" or "access" cannot mean one thing here and another elsewhere.
            var parsed = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false }) as JsonObject;
            if (parsed is not null) ReadEveryString(parsed);
            return parsed;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads every member name and string once, so an escape that is no text ("\ud800", a lone surrogate)
    /// fails here, where it is a malformed token, and not later in whichever check reads that string first.
    /// </summary>
    private static void ReadEveryString(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj)
                {
                    if (value is not null) ReadEveryString(value);
                }
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null) ReadEveryString(item);
                }
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                value.GetValue<string>();
                break;
        }
    }

    /// <summary>RFC 7515 §2: base64url without padding; other characters, padding included, make the token invalid.</summary>
    private static bool TryDecode(string part, out byte[] bytes)
    {
        bytes = [];
        foreach (var c in part)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        }
        if (part.Length % 4 == 1) return false;
        try
        {
            bytes = Base64Url.DecodeFromChars(part);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
