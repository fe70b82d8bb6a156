using Berth.Auth.Tokens;

namespace Berth.Auth.Tests;

/// <summary>Signing key rotation in a data folder: the retired key verifies until its tokens have expired, then is dropped.</summary>
public sealed class SigningKeyRotationTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "berth-auth-test-" + Guid.NewGuid().ToString("N"));
    private readonly FixedClock _clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        if (Directory.Exists(_data)) Directory.Delete(_data, recursive: true);
    }

    private static readonly AuthOptions Options = new()
    {
        Service = "svc",
        TokenLifetime = TimeSpan.FromMinutes(5),
        RefreshTokenLifetime = TimeSpan.FromDays(2),
        ClockSkew = TimeSpan.FromMinutes(1),
    };

    private string KeyDirectory => BerthAuth.KeyDirectory(_data);

    [Fact]
    public void RetiredKey_VerifiesItsTokens_UntilTheLongestLifetimeAndSkewHavePassed_ThenIsDeleted()
    {
        string oldAccess, oldRefresh, oldKeyId;
        using (var before = BerthAuth.Create(Options, _data, _clock))
        {
            oldKeyId = before.Issuer.Key.KeyId;
            oldAccess = before.Issuer.IssueAccess("alice", []).Token;
            oldRefresh = before.Issuer.IssueRefresh("alice", "fingerprint");
        }

        var rotation = SigningKeyStore.Rotate(KeyDirectory, Options.TokenAlgorithm, _clock);
        Assert.Equal([oldKeyId], rotation.RetiredKeyIds);
        Assert.NotEqual(oldKeyId, rotation.NewKeyId);
        var retiredFile = Assert.Single(Directory.GetFiles(KeyDirectory, "token-retired-key-*.pem"));
        Assert.Contains("20260101T120000Z", retiredFile);
        // Only the public half is kept.
        Assert.DoesNotContain("PRIVATE", File.ReadAllText(retiredFile));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(retiredFile));

        using (var after = BerthAuth.Create(Options, _data, _clock))
        {
            Assert.Equal(rotation.NewKeyId, after.Issuer.Key.KeyId);
            Assert.True(after.Validator.ValidateAccessToken(oldAccess).IsValid);
            Assert.True(after.Validator.ValidateRefreshToken(oldRefresh).IsValid);
            var fresh = after.Issuer.IssueAccess("alice", []).Token;
            Assert.Contains(rotation.NewKeyId, Header(fresh));
            Assert.True(after.Validator.ValidateAccessToken(fresh).IsValid);

            // A server that keeps running stops trusting the retired key when its time is up, even for a token
            // whose own "exp" were later (it cannot be: the old key signed nothing after the rotation).
            _clock.Now += SigningKeyStore.KeepRetiredFor(Options) - TimeSpan.FromMinutes(1);
            Assert.True(after.Validator.ValidateRefreshToken(oldRefresh).IsValid);
            _clock.Now += TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1);
            Assert.Equal("bad signature", after.Validator.ValidateRefreshToken(oldRefresh).Failure);
        }

        // Restarted after that: the retired key's file is gone.
        using var later = BerthAuth.Create(Options, _data, _clock);
        Assert.Empty(Directory.GetFiles(KeyDirectory, "token-retired-key-*.pem"));
        Assert.False(later.Validator.ValidateRefreshToken(oldRefresh).IsValid);
    }

    [Fact]
    public void KeepRetiredFor_IsTheLongerLifetimePlusTheSkew()
    {
        Assert.Equal(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1), SigningKeyStore.KeepRetiredFor(Options));
        Assert.Equal(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(1),
            SigningKeyStore.KeepRetiredFor(Options with { TokenLifetime = TimeSpan.FromHours(3), RefreshTokenLifetime = TimeSpan.FromHours(1) }));
    }

    [Fact]
    public void RotatingTwice_KeepsBothRetiredKeys_AndWithoutAnAlgorithmKeepsTheCurrentOne()
    {
        using (BerthAuth.Create(Options with { TokenAlgorithm = TokenKey.RS256 }, _data, _clock))
        {
        }
        var first = SigningKeyStore.Rotate(KeyDirectory, algorithm: null, _clock);
        Assert.Equal(TokenKey.RS256, first.Algorithm);
        _clock.Now += TimeSpan.FromHours(1);
        var second = SigningKeyStore.Rotate(KeyDirectory, TokenKey.ES256, _clock);
        Assert.Equal([first.NewKeyId], second.RetiredKeyIds);
        Assert.Equal(2, Directory.GetFiles(KeyDirectory, "token-retired-key-*.pem").Length);
        // Switching algorithm leaves one signing key, not one per algorithm.
        Assert.Equal([SigningKeyStore.PathFor(KeyDirectory, TokenKey.ES256)], Directory.GetFiles(KeyDirectory, "token-signing-key-*.pem"));
    }

    [Fact]
    public void ARetiredKeyFileWithoutATime_StopsTheStart()
    {
        Directory.CreateDirectory(KeyDirectory);
        File.WriteAllText(Path.Combine(KeyDirectory, "token-retired-key-yesterday.pem"), "");
        var error = Assert.Throws<InvalidDataException>(() => BerthAuth.Create(Options, _data, _clock));
        Assert.Contains("token-retired-key-", error.Message);
    }

    private static string Header(string token) =>
        System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[0]));
}
