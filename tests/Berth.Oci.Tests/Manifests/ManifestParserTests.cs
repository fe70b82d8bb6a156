using System.Text;
using Berth.Oci.Errors;
using Berth.Oci.Manifests;

namespace Berth.Oci.Tests.Manifests;

/// <summary>
/// Validation of pushed manifests without HTTP (image-spec manifest.md and image-index.md, Docker
/// schema 2): what is accepted, what is extracted for indexing, and the MANIFEST_INVALID reason otherwise.
/// </summary>
public sealed class ManifestParserTests
{
    private const string Config = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    private const string LayerA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string LayerB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    private static string Descriptor(string mediaType, string digest, long size = 2) =>
        $"{{\"mediaType\":\"{mediaType}\",\"digest\":\"{digest}\",\"size\":{size}}}";

    private static string Image(string layers, string extra = "", string? mediaType = MediaTypes.OciManifest) =>
        "{\"schemaVersion\":2," + (mediaType is null ? "" : $"\"mediaType\":\"{mediaType}\",")
        + $"\"config\":{Descriptor(MediaTypes.OciConfig, Config)},\"layers\":[{layers}]{extra}}}";

    private static ParsedManifest Accepted(string json, string? contentType = MediaTypes.OciManifest)
    {
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType, out var error);
        Assert.Null(error);
        return Assert.IsType<ParsedManifest>(parsed);
    }

    private static string Refused(string json, string? contentType = MediaTypes.OciManifest)
    {
        var parsed = ManifestParser.Parse(Encoding.UTF8.GetBytes(json), contentType, out var error);
        Assert.Null(parsed);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal(ErrorCode.ManifestInvalid, error.Code);
        return error.Message;
    }

    [Fact]
    public void ImageManifest_ListsItsConfigAndLayersAsBlobs()
    {
        var parsed = Accepted(Image(Descriptor(MediaTypes.OciLayer, LayerA) + "," + Descriptor(MediaTypes.OciLayerGzip, LayerB)));

        Assert.Equal(MediaTypes.OciManifest, parsed.MediaType);
        Assert.Equal([Config, LayerA, LayerB], parsed.Blobs.Select(d => d.ToString()));
        Assert.Empty(parsed.Manifests);
        Assert.Null(parsed.Subject);
        // Without an artifactType, the config's media type stands for it (image-spec "artifactType").
        Assert.Equal(MediaTypes.OciConfig, parsed.ArtifactType);
    }

    [Fact]
    public void Index_ListsItsManifests()
    {
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[{Descriptor(MediaTypes.OciManifest, LayerA)}]}}";
        var parsed = Accepted(json, MediaTypes.OciIndex);

        Assert.Equal([LayerA], parsed.Manifests.Select(d => d.ToString()));
        Assert.Empty(parsed.Blobs);
    }

    [Fact]
    public void Artifact_KeepsItsSubjectArtifactTypeAndAnnotations()
    {
        var extra = $",\"artifactType\":\"application/vnd.example.sbom\",\"subject\":{Descriptor(MediaTypes.OciManifest, LayerB, 123)}"
                    + ",\"annotations\":{\"b\":\"2\",\"a\":\"1\"}";
        var parsed = Accepted(Image("", extra));

        Assert.Equal(LayerB, parsed.Subject?.ToString());
        Assert.Equal("application/vnd.example.sbom", parsed.ArtifactType);
        Assert.Equal(["a", "b"], parsed.Annotations!.Keys);
    }

    [Fact]
    public void ForeignLayers_NeedNotBeInTheRegistry()
    {
        var parsed = Accepted(Image(Descriptor(MediaTypes.DockerForeignLayer, LayerA) + ","
                                    + Descriptor(MediaTypes.OciNonDistributableLayerPrefix + "v1.tar", LayerB)));

        Assert.Equal([Config], parsed.Blobs.Select(d => d.ToString()));
    }

    [Theory]
    [InlineData(null, MediaTypes.OciManifest)] // no Content-Type: the body's mediaType decides
    [InlineData("application/vnd.oci.image.manifest.v1+json; charset=utf-8", MediaTypes.OciManifest)] // parameters are not part of the type
    public void MediaType_ComesFromBodyOrContentType(string? contentType, string expected)
    {
        Assert.Equal(expected, Accepted(Image(""), contentType).MediaType);
    }

    [Fact]
    public void WithoutAnyMediaType_TheShapeDecides()
    {
        Assert.Equal(MediaTypes.OciManifest, Accepted(Image("", mediaType: null), contentType: null).MediaType);
        var index = $"{{\"schemaVersion\":2,\"manifests\":[{Descriptor(MediaTypes.OciManifest, LayerA)}]}}";
        Assert.Equal(MediaTypes.OciIndex, Accepted(index, contentType: null).MediaType);
    }

    [Theory]
    [InlineData("{", "well-formed JSON")]
    [InlineData("[]", "JSON object")]
    [InlineData("{\"schemaVersion\":1,\"config\":{},\"layers\":[]}", "schemaVersion")]
    [InlineData("{\"schemaVersion\":\"2\",\"layers\":[]}", "schemaVersion")]
    [InlineData("{\"schemaVersion\":2,\"mediaType\":7}", "mediaType must be a string")]
    [InlineData("{\"schemaVersion\":2,\"layers\":[]}", "config")]
    public void Malformed_IsRefusedWithTheReason(string json, string reason)
    {
        Assert.Contains(reason, Refused(json));
    }

    [Fact]
    public void BodyMediaTypeDifferentFromContentType_IsRefused()
    {
        // Otherwise one type could be served under another's name.
        Assert.Contains("does not match Content-Type", Refused(Image(""), MediaTypes.DockerManifest));
    }

    [Fact]
    public void UnknownManifestMediaType_IsRefused()
    {
        Assert.Contains("unsupported manifest media type", Refused(Image("", mediaType: "application/json"), "application/json"));
    }

    [Theory]
    [InlineData("\"nope\"", "must be a descriptor object")]
    [InlineData("{\"digest\":\"" + LayerA + "\",\"size\":1}", "no valid mediaType")]
    [InlineData("{\"mediaType\":\"not a type\",\"digest\":\"" + LayerA + "\",\"size\":1}", "no valid mediaType")]
    [InlineData("{\"mediaType\":\"a/b\",\"digest\":\"sha256:short\",\"size\":1}", "no valid digest")]
    [InlineData("{\"mediaType\":\"a/b\",\"digest\":\"" + LayerA + "\",\"size\":-1}", "no valid size")]
    [InlineData("{\"mediaType\":\"a/b\",\"digest\":\"" + LayerA + "\",\"size\":\"1\"}", "no valid size")]
    public void BadLayerDescriptor_IsRefused(string layer, string reason)
    {
        var message = Refused(Image(layer));
        Assert.Contains("layers[]", message);
        Assert.Contains(reason, message);
    }

    [Theory]
    [InlineData(",\"artifactType\":7", "artifactType must be a media type")]
    [InlineData(",\"artifactType\":\"no slash\"", "artifactType must be a media type")]
    [InlineData(",\"annotations\":[]", "annotations must be an object of strings")]
    [InlineData(",\"annotations\":{\"a\":1}", "annotations must be an object of strings")]
    [InlineData(",\"subject\":\"x\"", "subject must be a descriptor object")]
    public void BadOptionalField_IsRefused(string extra, string reason)
    {
        Assert.Contains(reason, Refused(Image("", extra)));
    }

    [Fact]
    public void IndexWithoutManifestsArray_IsRefused()
    {
        Assert.Contains("manifests array", Refused($"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\"}}", MediaTypes.OciIndex));
    }

    [Fact]
    public void NestingBeyondTheDepthLimit_IsRefusedNotCrashed()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100);
        Assert.Contains("well-formed JSON", Refused(deep));
    }

    [Fact]
    public void NullSubjectAndAnnotations_AreAbsent()
    {
        var parsed = Accepted(Image("", ",\"subject\":null,\"annotations\":null"));
        Assert.Null(parsed.Subject);
        Assert.Null(parsed.Annotations);
    }
}
