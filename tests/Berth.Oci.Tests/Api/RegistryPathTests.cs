using Berth.Oci.Api;

namespace Berth.Oci.Tests.Api;

/// <summary>Request targets with "." or ".." segments, which the HTTP server would resolve before routing.</summary>
public sealed class RegistryPathTests
{
    [Theory]
    [InlineData("/v2/a/../b/manifests/v1")]
    [InlineData("/v2/a/%2e%2e/b/manifests/v1")]
    [InlineData("/v2/a/%2E%2E/b/tags/list")]
    [InlineData("/v2/a/.%2e/b/tags/list")]
    [InlineData("/v2/./b/tags/list")]
    [InlineData("/v2/b/%2e/tags/list")]
    [InlineData("/v2/b/manifests/..")]
    [InlineData("/v2/b/manifests/..?n=1")]
    public void DotSegments_AreFound(string target) => Assert.True(RegistryPath.HasDotSegment(target));

    [Theory]
    [InlineData("/v2/")]
    [InlineData("/v2/a.b/c..d/manifests/v1.0")]
    [InlineData("/v2/a/b/manifests/sha256:..%2F..%2Fx")]
    [InlineData("/v2/a/b/tags/list?last=..")]
    [InlineData("/v2/a/...")]
    [InlineData("/v2/a/%252e%252e/b")]
    public void OtherTargets_HaveNoDotSegment(string target) => Assert.False(RegistryPath.HasDotSegment(target));
}
