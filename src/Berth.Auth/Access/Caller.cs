using Berth.Auth.Tokens;

namespace Berth.Auth.Access;

public enum CallerKind
{
    /// <summary>No credentials at all.</summary>
    Anonymous,

    /// <summary>A user whose password was checked on this request (HTTP Basic, RFC 7617).</summary>
    User,

    /// <summary>A bearer token (RFC 6750) from the built-in or a trusted external issuer.</summary>
    Token,
}

/// <summary>Who made a request, as far as authentication established it.</summary>
public sealed record Caller(CallerKind Kind, Principal Principal, ValidatedToken? Token = null)
{
    public static Caller Anonymous { get; } = new(CallerKind.Anonymous, Principal.Anonymous);

    public string Name => Principal.Name;

    /// <summary>A token of the built-in service: its subject is a user of the local directory.</summary>
    public bool HasBuiltInToken => Token is { Issuer.IsBuiltIn: true };
}
