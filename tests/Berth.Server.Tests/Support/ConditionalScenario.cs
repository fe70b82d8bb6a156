using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Server.Tests.Support;

/// <summary>
/// The setup of section 6 of the conditional-requests design reference: repository r with tag t → D1
/// (manifest M1), manifests M2 and M3 (D2, D3) built but not pushed, and a blob B. Every manifest
/// shares one config and one layer, so any number of distinct manifests costs no extra blob pushes.
/// </summary>
public sealed class ConditionalScenario
{
    public const string Tag = "t";

    private readonly string _configDigest;
    private readonly int _configSize;

    private ConditionalScenario(HttpClient client, string repository, byte[] blob, string blobDigest, string configDigest, int configSize)
    {
        Client = client;
        Repository = repository;
        Blob = blob;
        B = blobDigest;
        _configDigest = configDigest;
        _configSize = configSize;
        M1 = Manifest(1);
        M2 = Manifest(2);
        M3 = Manifest(3);
    }

    public HttpClient Client { get; }
    public string Repository { get; }

    /// <summary>Blob B (the layer of every manifest; 64 bytes) and its digest.</summary>
    public byte[] Blob { get; }
    public string B { get; }

    public byte[] M1 { get; }
    public byte[] M2 { get; }
    public byte[] M3 { get; }
    public string D1 => Sha256(M1);
    public string D2 => Sha256(M2);
    public string D3 => Sha256(M3);

    /// <summary>A well-formed digest of content that exists nowhere ("D9" in the design doc).</summary>
    public static string D9 { get; } = Sha256("nothing has this digest"u8.ToArray());

    public string TagPath => $"/v2/{Repository}/manifests/{Tag}";

    public string ManifestPath(string reference) => $"/v2/{Repository}/manifests/{reference}";

    /// <summary>Pushes B and a config into <paramref name="repository"/>, then tags M1 as t.</summary>
    public static async Task<ConditionalScenario> CreateAsync(HttpClient client, string repository, bool tagM1 = true)
    {
        var blob = RandomBytes(64, repository.GetHashCode(StringComparison.Ordinal));
        var config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}"u8.ToArray();
        var blobDigest = await client.PushBlobAsync(repository, blob);
        var configDigest = await client.PushBlobAsync(repository, config);
        var scenario = new ConditionalScenario(client, repository, blob, blobDigest, configDigest, config.Length);
        if (tagM1)
        {
            using var response = await client.PutManifestAsync(repository, Tag, scenario.M1);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        return scenario;
    }

    /// <summary>An image manifest distinct for each <paramref name="seed"/>, optionally a referrer of <paramref name="subject"/>.</summary>
    public byte[] Manifest(int seed, string? subject = null, string? artifactType = null)
    {
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Descriptor(MediaTypes.OciConfig, _configDigest, _configSize),
            ["layers"] = new JsonArray(Descriptor(MediaTypes.OciLayer, B, Blob.Length)),
            ["annotations"] = new JsonObject { ["org.example.seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        if (artifactType is not null) manifest["artifactType"] = artifactType;
        if (subject is not null)
        {
            manifest["subject"] = Descriptor(MediaTypes.OciManifest, subject, subject == D1 ? M1.Length : 0);
        }
        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }

    public static string Quoted(string digest) => $"\"{digest}\"";

    /// <summary>PUT a manifest with raw header values (sent without HttpClient's validation).</summary>
    public Task<HttpResponseMessage> PutAsync(string reference, byte[] manifest, params (string Name, string Value)[] headers) =>
        Client.SendAsync(HttpMethod.Put, ManifestPath(reference), headers, ManifestContent(manifest));

    public Task<HttpResponseMessage> GetAsync(string reference, params (string Name, string Value)[] headers) =>
        Client.SendAsync(HttpMethod.Get, ManifestPath(reference), headers);

    public Task<HttpResponseMessage> HeadAsync(string reference, params (string Name, string Value)[] headers) =>
        Client.SendAsync(HttpMethod.Head, ManifestPath(reference), headers);

    public Task<HttpResponseMessage> DeleteAsync(string reference, params (string Name, string Value)[] headers) =>
        Client.SendAsync(HttpMethod.Delete, ManifestPath(reference), headers);

    public static ByteArrayContent ManifestContent(byte[] manifest, string mediaType = MediaTypes.OciManifest)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    /// <summary>The digest tag t currently points at, or null when it does not exist.</summary>
    public Task<string?> CurrentDigestAsync(string tag = Tag) => Client.TagDigestAsync(Repository, tag);

    /// <summary>Status of GET by digest: whether a manifest is retrievable at all.</summary>
    public async Task<HttpStatusCode> ManifestStatusAsync(string digest)
    {
        using var response = await Client.GetAsync(ManifestPath(digest));
        return response.StatusCode;
    }
}

/// <summary>Small assertions shared by the conditional-request tests.</summary>
public static class ConditionalAssert
{
    public const string Signal = "OCI-Distribution-RFC7232";

    /// <summary>A response header exactly as sent; HttpClient's typed parsing would reorder Cache-Control.</summary>
    public static string RawHeader(this HttpResponseMessage response, string name) =>
        response.Headers.NonValidated.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    /// <summary>The first error code of a spec JSON error body.</summary>
    public static async Task<string> ErrorCodeAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }

    public static async Task<string?> TagDigestAsync(this HttpClient client, string repository, string tag)
    {
        using var response = await client.SendAsync(HttpMethod.Head, $"/v2/{repository}/manifests/{tag}");
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Header("Docker-Content-Digest");
    }

    /// <summary>412 with the plain-text explanation the design doc asks for (no JSON code fits).</summary>
    public static async Task PreconditionFailedAsync(HttpResponseMessage response, string? currentDigest)
    {
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("yes", response.Header(Signal));
        if (response.RequestMessage?.Method != HttpMethod.Get && response.RequestMessage?.Method != HttpMethod.Head)
        {
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("precondition", body, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Nothing was changed", body, StringComparison.Ordinal);
        }
        Assert.Equal(currentDigest is null ? "" : $"\"{currentDigest}\"", response.Header("ETag"));
    }
}
