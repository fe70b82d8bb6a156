using Berth.Auth.Users;

namespace Berth.Auth.Tests;

public sealed class BcryptPasswordTests
{
    // Published bcrypt test vectors (the OpenBSD / jBCrypt suite): password, full hash.
    [Theory]
    [InlineData("", "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.")]
    [InlineData("a", "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe")]
    [InlineData("abc", "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i")]
    [InlineData("abcdefghijklmnopqrstuvwxyz", "$2a$06$.rCVZVOThsIa97pEDOxvGuRRgzG64bvtJ0938xuqzv18d3ZpQhstC")]
    [InlineData("~!@#$%^&*()      ~!@#$%^&*()PNBFRD", "$2a$06$fPIsBO8qRqkjj273rfaOI.HtSV9jLDpTbZn782DC6/t7qT67P6FfO")]
    public void KnownVectors_Verify(string password, string hash)
    {
        Assert.True(BcryptPassword.Verify(password, hash));
        Assert.False(BcryptPassword.Verify(password + "x", hash));
    }

    [Theory]
    [InlineData("$2y$")]
    [InlineData("$2b$")]
    public void HtpasswdPrefixes_AreTheSameAlgorithm(string prefix)
    {
        var hash = prefix + "06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i";
        Assert.True(BcryptPassword.Verify("abc", hash));
        Assert.False(BcryptPassword.Verify("abd", hash));
    }

    [Theory]
    [InlineData("$apr1$abcdefgh$0123456789012345678901")]
    [InlineData("{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=")]
    [InlineData("plaintext")]
    [InlineData("$2x$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i")]
    public void OtherHashKinds_AreNeverAccepted(string hash)
    {
        Assert.False(BcryptPassword.IsBcrypt(hash));
        Assert.False(BcryptPassword.Verify("abc", hash));
    }

    [Fact]
    public void Hash_RoundTrips()
    {
        var hash = BcryptPassword.Hash("s3cret", cost: 4);
        Assert.True(BcryptPassword.IsBcrypt(hash));
        Assert.True(BcryptPassword.Verify("s3cret", hash));
        Assert.False(BcryptPassword.Verify("s3cre", hash));
    }
}
