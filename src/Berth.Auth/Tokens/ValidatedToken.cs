using Berth.Oci.Auth;

namespace Berth.Auth.Tokens;

/// <summary>What a verified token says: who it was issued to, by whom, until when, and the access it grants.</summary>
public sealed record ValidatedToken(
    TrustedIssuer Issuer,
    string Subject,
    DateTimeOffset Expires,
    IReadOnlyList<AccessScope> Access,
    string? CredentialFingerprint)
{
    public bool Grants(AccessScope required) => Access.Any(a => a.Grants(required.Type, required.Name, required.Actions));
}

/// <summary>A token check's outcome: the token, or why it was refused (for logs; clients only see "invalid_token").</summary>
public sealed record TokenValidation(ValidatedToken? Token, string? Failure)
{
    public bool IsValid => Token is not null;

    public static TokenValidation Valid(ValidatedToken token) => new(token, null);

    public static TokenValidation Invalid(string why) => new(null, why);
}
