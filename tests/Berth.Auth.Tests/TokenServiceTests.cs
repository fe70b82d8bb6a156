using Berth.Auth.Access;
using Berth.Oci.Auth;
using Berth.Auth.TokenRequests;
using Berth.Auth.Tokens;
using Berth.Auth.Users;

namespace Berth.Auth.Tests;

/// <summary>The token service without HTTP, and the signing key it keeps in the data folder.</summary>
public sealed class TokenServiceTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "berth-auth-test-" + Guid.NewGuid().ToString("N"));
    private readonly FixedClock _clock = new(DateTimeOffset.UtcNow);

    public void Dispose()
    {
        if (Directory.Exists(_data)) Directory.Delete(_data, recursive: true);
    }

    private BerthAuth Create(string password = "pw") => BerthAuth.Create(new AuthOptions
    {
        Service = "svc",
        Users = [new ConfiguredUser { Name = "alice", PasswordHash = BcryptPassword.Hash(password, 4) }],
        Access = [new AccessRule { Repositories = "team/**", Users = ["alice"], Actions = ["*"] }],
    }, _data, _clock);

    [Fact]
    public void RefreshToken_Works_UntilThePasswordChanges()
    {
        string refresh;
        using (var auth = Create())
        {
            var issued = auth.Tokens.Issue(new TokenRequest { Grant = GrantType.Password, Username = "alice", Password = "pw", Offline = true });
            refresh = issued.Grant!.RefreshToken!;
            var renewed = auth.Tokens.Issue(new TokenRequest
            {
                Grant = GrantType.RefreshToken, RefreshToken = refresh, Scopes = [AccessScope.Repository("team/app", "push")],
            });
            Assert.Equal(["repository:team/app:push"], renewed.Grant!.Granted.Select(s => s.ToString()));
        }
        // Same data folder (same key), new password: the old refresh token is dead.
        using var changed = Create("new-pw");
        var refused = changed.Tokens.Issue(new TokenRequest { Grant = GrantType.RefreshToken, RefreshToken = refresh });
        Assert.Equal(401, refused.Status);
        Assert.Equal("invalid_grant", refused.Error);
    }

    [Fact]
    public void RefreshToken_Expires()
    {
        using var auth = Create();
        var refresh = auth.Tokens.Issue(new TokenRequest { Grant = GrantType.Password, Username = "alice", Password = "pw", Offline = true }).Grant!.RefreshToken!;
        _clock.Now += TimeSpan.FromDays(31);
        Assert.Equal(401, auth.Tokens.Issue(new TokenRequest { Grant = GrantType.RefreshToken, RefreshToken = refresh }).Status);
    }

    [Fact]
    public void Anonymous_GetsATokenWithNothingItMayNotHave()
    {
        using var auth = Create();
        var outcome = auth.Tokens.Issue(new TokenRequest { Scopes = [AccessScope.Repository("team/app", "pull")], Offline = true });
        Assert.Empty(outcome.Grant!.Granted);
        Assert.Null(outcome.Grant.RefreshToken);
        var token = auth.AuthenticateToken(outcome.Grant.AccessToken, out _)!;
        Assert.True(token.Principal.IsAnonymous);
    }

    [Fact]
    public void SigningKey_IsCreatedOnce_OwnerReadableOnly_AndReused()
    {
        string keyId;
        using (var first = Create()) keyId = first.Issuer.Key.KeyId;
        using var second = Create();
        Assert.Equal(keyId, second.Issuer.Key.KeyId);
        var file = SigningKeyStore.PathFor(BerthAuth.KeyDirectory(_data), TokenKey.ES256);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Empty(Directory.GetFiles(BerthAuth.KeyDirectory(_data), "*.tmp"));
    }

    [Fact]
    public void UnknownAlgorithm_IsAConfigurationError() =>
        Assert.Throws<InvalidDataException>(() => SigningKeyStore.LoadOrCreate(_data, "HS256"));
}
