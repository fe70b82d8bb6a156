namespace Berth.Auth.Access;

public enum AccessDecision
{
    Allowed,

    /// <summary>401 with the challenge: no credentials, or only anonymous ones, and anonymous access does not reach this far.</summary>
    Unauthenticated,

    /// <summary>
    /// 401 with the challenge and error="insufficient_scope" (RFC 6750 §3.1): the token lacks the scope but its
    /// user is entitled to it, so a client that asks the token service again (as the Docker token spec's flow
    /// does on a 401) will get it.
    /// </summary>
    InsufficientScope,

    /// <summary>403 DENIED: the caller is known and the access rules do not allow this.</summary>
    Denied,
}
