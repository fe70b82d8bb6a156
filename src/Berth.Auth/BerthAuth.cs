using System.Security.Cryptography;
using Berth.Auth.Access;
using Berth.Auth.Scopes;
using Berth.Oci.Auth;
using Berth.Auth.Tokens;
using Berth.Auth.Users;

namespace Berth.Auth;

/// <summary>
/// Authentication and authorization assembled from <see cref="AuthOptions"/>: the user directory, the access
/// rules, the built-in token service's key and the trusted issuers. Everything the HTTP layer asks goes
/// through here, and all of it can be called from a test without HTTP.
/// </summary>
public sealed class BerthAuth : IDisposable
{
    private readonly List<TokenKey> _keys = [];

    private BerthAuth(AuthOptions options, UserDirectory users, AccessPolicy policy, TokenKey signingKey,
        IReadOnlyList<TrustedIssuer> issuers, TimeProvider time)
    {
        Options = options;
        Users = users;
        var cacheCapacity = options.PasswordCacheLifetime > TimeSpan.Zero ? VerifiedCredentialCache.DefaultCapacity : 0;
        Passwords = new PasswordAuthenticator(users,
            new FailedLoginLimiter(options.FailedLoginsPerClient, options.FailedLoginsPerUser, options.FailedLoginWindow, time),
            new VerifiedCredentialCache(time, options.PasswordCacheLifetime, cacheCapacity));
        Authorizer = new Authorizer(policy);
        Issuer = new TokenIssuer(signingKey, options.Issuer, options.Service, options.TokenLifetime, options.RefreshTokenLifetime, time);
        Validator = new TokenValidator(issuers, options.ClockSkew, time);
        Tokens = new TokenRequests.TokenService(this);
        _keys.AddRange(issuers.SelectMany(i => i.Keys));
    }

    public AuthOptions Options { get; }

    public UserDirectory Users { get; }

    /// <summary>Password checks with the failed-login limiter and the cache of verified credentials in front of bcrypt.</summary>
    public PasswordAuthenticator Passwords { get; }

    public Authorizer Authorizer { get; }

    public TokenIssuer Issuer { get; }

    public TokenValidator Validator { get; }

    public TokenRequests.TokenService Tokens { get; }

    /// <summary>Where the built-in service keeps its key: the "auth" folder of the data directory.</summary>
    public static string KeyDirectory(string dataDirectory) => Path.Combine(dataDirectory, "auth");

    public static BerthAuth Create(AuthOptions options, string dataDirectory, TimeProvider? time = null)
    {
        var htpasswd = options.Htpasswd is { } file ? HtpasswdFile.Load(file) : [];
        var users = new UserDirectory(htpasswd, options.Users, options.Groups);
        var policy = new AccessPolicy(options.Access);
        time ??= TimeProvider.System;
        var keyDirectory = KeyDirectory(dataDirectory);
        var signingKey = SigningKeyStore.LoadOrCreate(keyDirectory, options.TokenAlgorithm);
        // Keys retired by `berth auth rotate-key` still verify the tokens they signed until those expire.
        var retiredKeys = SigningKeyStore.LoadRetired(keyDirectory, SigningKeyStore.KeepRetiredFor(options), time);
        var issuers = new List<TrustedIssuer> { new(options.Issuer, options.Service, [signingKey, .. retiredKeys], IsBuiltIn: true) };
        if (options.ExternalIssuer is { } external)
        {
            if (external.Issuer.Length == 0) throw new InvalidDataException("externalIssuer needs an issuer");
            if (external.Issuer == options.Issuer) throw new InvalidDataException("externalIssuer must differ from the built-in issuer");
            var keys = new List<TokenKey>();
            if (external.PublicKey is { } pem) keys.AddRange(TokenKeyFiles.ReadPublicPem(File.ReadAllText(pem), pem));
            if (external.Jwks is { } jwks) keys.AddRange(TokenKeyFiles.ReadJwks(File.ReadAllText(jwks), jwks));
            if (keys.Count == 0) throw new InvalidDataException("externalIssuer needs a publicKey or jwks file");
            issuers.Add(new TrustedIssuer(external.Issuer, external.Audience ?? options.Service, keys, IsBuiltIn: false));
        }
        return new BerthAuth(options, users, policy, signingKey, issuers, time);
    }

    /// <summary>
    /// HTTP Basic (RFC 7617) credentials; null when the user is unknown or the password wrong, or when
    /// <paramref name="retryAfter"/> is positive because too many wrong passwords came from <paramref name="client"/> or for <paramref name="user"/>.
    /// </summary>
    public Caller? AuthenticatePassword(string client, string user, string password, out TimeSpan retryAfter)
    {
        var check = Passwords.Check(client, user, password);
        retryAfter = check.RetryAfter;
        return check.Account is { } account ? new Caller(CallerKind.User, new Principal(account.Name, account.Groups)) : null;
    }

    /// <summary>A bearer token (RFC 6750 §2.1); the failure reason is for logs only.</summary>
    public Caller? AuthenticateToken(string token, out string? failure)
    {
        var validation = Validator.ValidateAccessToken(token);
        failure = validation.Failure;
        if (validation.Token is not { } valid) return null;
        var principal = valid.Subject.Length == 0
            ? Principal.Anonymous
            : valid.Issuer.IsBuiltIn && Users.Find(valid.Subject) is { } account
                ? new Principal(account.Name, account.Groups)
                : new Principal(valid.Subject, []);
        return new Caller(CallerKind.Token, principal, valid);
    }

    public AccessDecision Decide(Caller caller, RequiredAccess required) => Authorizer.Decide(caller, required);

    public void Dispose()
    {
        foreach (var key in _keys) key.Dispose();
    }

    internal static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(a), System.Text.Encoding.UTF8.GetBytes(b));
}
