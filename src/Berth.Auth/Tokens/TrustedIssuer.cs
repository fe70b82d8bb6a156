namespace Berth.Auth.Tokens;

/// <summary>
/// An issuer whose tokens the registry accepts: its "iss" value, the "aud" its tokens must name (the
/// registry's service), and the keys that verify them. <see cref="IsBuiltIn"/> marks Berth's own token
/// service, whose subjects are users of the local directory.
/// </summary>
public sealed record TrustedIssuer(string Issuer, string Audience, IReadOnlyList<TokenKey> Keys, bool IsBuiltIn);
