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
    private readonly FailedLoginLimiter _failedLogins;
    private readonly TimeProvider _time;
    private volatile Accounts _accounts;

    /// <summary>Who may log in and what the rules allow: swapped whole by <see cref="Reload"/>.</summary>
    private sealed record Accounts(UserDirectory Users, PasswordAuthenticator Passwords, Authorizer Authorizer);

    private BerthAuth(AuthOptions options, UserDirectory users, AccessPolicy policy, TokenKey signingKey,
        IReadOnlyList<TrustedIssuer> issuers, TimeProvider time)
    {
        Options = options;
        _time = time;
        _failedLogins = new FailedLoginLimiter(options.FailedLoginsPerClient, options.FailedLoginsPerUser, options.FailedLoginWindow, time);
        _accounts = AccountsFor(options, users, policy);
        Issuer = new TokenIssuer(signingKey, options.Issuer, options.Service, options.TokenLifetime, options.RefreshTokenLifetime, time);
        Validator = new TokenValidator(issuers, options.ClockSkew, time);
        Tokens = new TokenRequests.TokenService(this);
        _keys.AddRange(issuers.SelectMany(i => i.Keys));
    }

    /// <summary>The options Berth started with; <see cref="Reload"/> changes users and rules, not these.</summary>
    public AuthOptions Options { get; }

    public UserDirectory Users => _accounts.Users;

    /// <summary>Password checks with the failed-login limiter and the cache of verified credentials in front of bcrypt.</summary>
    public PasswordAuthenticator Passwords => _accounts.Passwords;

    public Authorizer Authorizer => _accounts.Authorizer;

    /// <summary>
    /// Takes the users (htpasswd file and config), groups and access rules of <paramref name="options"/> while running.
    /// Credentials verified before are forgotten, so a removed user or a changed password stops working at once;
    /// failed-login counts are kept, so a reload is no way around a lockout. Tokens already issued keep the access
    /// they were granted until they expire (their lifetime is short). Throws, changing nothing, when a file is bad.
    /// </summary>
    public void Reload(AuthOptions options) => _accounts = AccountsFor(options, LoadUsers(options), new AccessPolicy(options.Access));

    private Accounts AccountsFor(AuthOptions options, UserDirectory users, AccessPolicy policy)
    {
        var cacheCapacity = options.PasswordCacheLifetime > TimeSpan.Zero ? VerifiedCredentialCache.DefaultCapacity : 0;
        var passwords = new PasswordAuthenticator(users, _failedLogins,
            new VerifiedCredentialCache(_time, options.PasswordCacheLifetime, cacheCapacity));
        return new Accounts(users, passwords, new Authorizer(policy));
    }

    private static UserDirectory LoadUsers(AuthOptions options) =>
        new(options.Htpasswd is { } file ? HtpasswdFile.Load(file) : [], options.Users, options.Groups);

    public TokenIssuer Issuer { get; }

    public TokenValidator Validator { get; }

    public TokenRequests.TokenService Tokens { get; }

    /// <summary>Where the built-in service keeps its key: the "auth" folder of the data directory.</summary>
    public static string KeyDirectory(string dataDirectory) => Path.Combine(dataDirectory, "auth");

    public static BerthAuth Create(AuthOptions options, string dataDirectory, TimeProvider? time = null)
    {
        var users = LoadUsers(options);
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
