using Berth.Oci.Digests;
using Berth.Oci.Names;

namespace Berth.Oci.Tests.Names;

/// <summary>
/// The grammars must match the whole text: in .NET, "$" also matches before a final "\n", which let
/// "team/app\n" and "v1\n" through as look-alikes of valid names and tags.
/// </summary>
public sealed class GrammarAnchorTests
{
    private const string Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Theory]
    [InlineData("\n")]
    [InlineData("\r")]
    [InlineData("\r\n")]
    [InlineData("\0")]
    [InlineData("\u001B")]
    public void RepositoryNames_WithAControlCharacterAtTheEnd_AreInvalid(string suffix)
    {
        Assert.True(RepositoryName.IsValid("team/app"));
        Assert.False(RepositoryName.IsValid("team/app" + suffix));
        Assert.False(RepositoryName.IsValid("x" + suffix));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r")]
    [InlineData("\0")]
    [InlineData("\u001B")]
    public void Tags_WithAControlCharacterAtTheEnd_AreInvalid(string suffix)
    {
        Assert.True(TagName.IsValid("v1"));
        Assert.False(TagName.IsValid("v1" + suffix));
        Assert.False(TagName.IsValid("x" + suffix));
        Assert.False(ManifestReference.TryParse("v1" + suffix, out _, out var looksLikeDigest));
        Assert.False(looksLikeDigest);
    }

    [Fact]
    public void Tag_OfMaximumLengthPlusNewline_IsInvalid()
    {
        // 128 characters is the limit; "\n" must not be the 129th character slipping past "$".
        var longest = "a" + new string('b', 127);
        Assert.True(TagName.IsValid(longest));
        Assert.False(TagName.IsValid(longest[..127] + "\n"));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r")]
    [InlineData("\0")]
    [InlineData("\u001B")]
    public void Digests_WithAControlCharacterAtTheEnd_AreInvalid(string suffix)
    {
        Assert.True(Digest.TryParse("sha256:" + Hex, out _));
        Assert.False(Digest.IsDigestShaped("sha256:" + Hex + suffix));
        Assert.False(Digest.TryParse("sha256:" + Hex + suffix, out _));
        Assert.False(Digest.IsDigestShaped("x:y" + suffix));
        Assert.False(ManifestReference.TryParse("sha256:" + Hex + suffix, out _, out var looksLikeDigest));
        Assert.True(looksLikeDigest);
    }
}
