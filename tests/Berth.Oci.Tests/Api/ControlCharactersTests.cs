using Berth.Oci.Api;
using Berth.Oci.Errors;

namespace Berth.Oci.Tests.Api;

/// <summary>Control characters in a route or query are refused with the spec's code for the part they are in.</summary>
public sealed class ControlCharactersTests
{
    private const string Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Theory]
    [InlineData("team/app", false)]
    [InlineData("team/app\n", true)]
    [InlineData("team\r/app", true)]
    [InlineData("\0", true)]
    [InlineData("a\u001B[31m", true)]
    [InlineData("a\u007F", true)]
    [InlineData("a\u0085", true)]
    [InlineData("ü-ok", false)]
    public void AreIn_FindsC0DelAndC1(string text, bool expected) => Assert.Equal(expected, ControlCharacters.AreIn(text));

    [Theory]
    [InlineData("team/app\n/manifests/v1", ErrorCode.NameInvalid)]
    [InlineData("team/app/manifests/v1\n", ErrorCode.ManifestInvalid)]
    [InlineData("team/app/manifests/v1\r", ErrorCode.ManifestInvalid)]
    [InlineData("team/app/manifests/" + Digest + "\n", ErrorCode.DigestInvalid)]
    [InlineData("team/app/blobs/" + Digest + "\0", ErrorCode.DigestInvalid)]
    [InlineData("team/app/referrers/" + Digest + "\u001B", ErrorCode.DigestInvalid)]
    [InlineData("team/app/_berth/history/v1\n", ErrorCode.ManifestInvalid)]
    [InlineData("team/app/blobs/uploads/0123\n", ErrorCode.BlobUploadInvalid)]
    [InlineData("team/a\u001Bpp/blobs/uploads/", ErrorCode.NameInvalid)]
    public void InRoute_UsesTheCodeOfThePart(string path, ErrorCode expected)
    {
        Assert.True(RegistryPath.TryParse(path, out var route, out _));
        var error = ControlCharacters.InRoute(route!);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal(expected, error.Code);
    }

    [Theory]
    [InlineData("team/app/manifests/v1")]
    [InlineData("team/app/blobs/" + Digest)]
    [InlineData("team/app/blobs/uploads/")]
    public void InRoute_AcceptsCleanRoutes(string path)
    {
        Assert.True(RegistryPath.TryParse(path, out var route, out _));
        Assert.Null(ControlCharacters.InRoute(route!));
    }

    [Theory]
    [InlineData("from", "team/src\n", ErrorCode.NameInvalid)]
    [InlineData("From", "team/src\r", ErrorCode.NameInvalid)]
    [InlineData("mount", Digest + "\n", ErrorCode.DigestInvalid)]
    [InlineData("MOUNT", Digest + "\0", ErrorCode.DigestInvalid)]
    [InlineData("digest", Digest + "\u001B", ErrorCode.DigestInvalid)]
    [InlineData("tag", "v1\n", ErrorCode.ManifestInvalid)]
    [InlineData("last", "a\n", ErrorCode.Unsupported)]
    [InlineData("fr\nom", "team/src", ErrorCode.Unsupported)]
    public void InQuery_UsesTheCodeOfTheParameter(string key, string value, ErrorCode expected)
    {
        var error = ControlCharacters.InQuery([new("n", "10"), new(key, value)]);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal(expected, error.Code);
    }

    [Fact]
    public void InQuery_AcceptsCleanParameters() =>
        Assert.Null(ControlCharacters.InQuery([new("mount", Digest), new("from", "team/src"), new("empty", null)]));
}
