using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Berth.Client.Auth;
using Berth.Oci.Digests;

namespace Berth.Client.Checking;

/// <summary>A manifest the probe built: its exact bytes and their digest.</summary>
internal sealed record ScratchManifest(byte[] Bytes, Digest Digest)
{
    public string QuotedDigest => $"\"{Digest}\"";
}

/// <summary>
/// The scratch repository the checks work in: raw requests (so the checks control every header,
/// malformed ones included), the probe's own tiny content, and a record of what to delete afterwards.
/// </summary>
internal sealed class ProbeContext(RegistryClient client, string repository)
{
    private const string ManifestMediaType = Oci.Manifests.MediaTypes.OciManifest;
    private readonly List<Digest> _manifests = [];
    private readonly List<Digest> _blobs = [];
    private (Digest Digest, long Size) _config;
    private (Digest Digest, long Size) _layer;
    private int _serial;

    public RegistryClient Client { get; } = client;

    public string Repository { get; } = repository;

    private string[] Scopes => [RequestScopes.PullPush(Repository), RequestScopes.Delete(Repository)];

    public async Task PushBlobsAsync(CancellationToken cancellationToken)
    {
        var repo = Client.Repository(Repository);
        var config = "{}"u8.ToArray();
        var layer = Encoding.UTF8.GetBytes($"berth check {Guid.NewGuid():N}\n");
        await repo.PushBlobAsync(config, cancellationToken).ConfigureAwait(false);
        await repo.PushBlobAsync(layer, cancellationToken).ConfigureAwait(false);
        _config = (Digest.Compute(DigestAlgorithm.Sha256, config), config.Length);
        _layer = (Digest.Compute(DigestAlgorithm.Sha256, layer), layer.Length);
        _blobs.Add(_config.Digest);
        _blobs.Add(_layer.Digest);
    }

    public Digest LayerDigest => _layer.Digest;

    /// <summary>A new manifest, distinct from every other one of this run, not yet pushed.</summary>
    public ScratchManifest NewManifest(string label, ScratchManifest? subject = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var serial = Interlocked.Increment(ref _serial);
        var extra = annotations is null ? "" : string.Concat(annotations.OrderBy(a => a.Key, StringComparer.Ordinal)
            .Select(a => $",\"{a.Key}\":\"{a.Value}\""));
        var subjectJson = subject is null ? ""
            : $",\"artifactType\":\"application/vnd.berth.check.v1\",\"subject\":{{\"mediaType\":\"{ManifestMediaType}\",\"digest\":\"{subject.Digest}\",\"size\":{subject.Bytes.Length}}}";
        var json = $"{{\"schemaVersion\":2,\"mediaType\":\"{ManifestMediaType}\""
            + $",\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{_config.Digest}\",\"size\":{_config.Size}}}"
            + $",\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{_layer.Digest}\",\"size\":{_layer.Size}}}]"
            + subjectJson
            + $",\"annotations\":{{\"org.opencontainers.image.title\":\"berth check {label} {serial}\"{extra}}}}}";
        var bytes = Encoding.UTF8.GetBytes(json);
        return new ScratchManifest(bytes, Digest.Compute(DigestAlgorithm.Sha256, bytes));
    }

    /// <summary>PUT a manifest under a tag or its digest, with raw (unvalidated) condition headers.</summary>
    public async Task<Answer> PutManifestAsync(string reference, ScratchManifest manifest, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Path($"manifests/{reference}"))
        {
            Content = new ByteArrayContent(manifest.Bytes),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ManifestMediaType);
        lock (_manifests) _manifests.Add(manifest.Digest);
        return await SendAsync(request, headers).ConfigureAwait(false);
    }

    public Task<Answer> GetAsync(string path, params (string Name, string Value)[] headers) => RequestAsync(HttpMethod.Get, path, headers);

    public Task<Answer> DeleteAsync(string path, params (string Name, string Value)[] headers) => RequestAsync(HttpMethod.Delete, path, headers);

    private async Task<Answer> RequestAsync(HttpMethod method, string path, (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path.StartsWith("v2/", StringComparison.Ordinal) ? path : Path(path));
        if (path.StartsWith("manifests/", StringComparison.Ordinal))
        {
            foreach (var accept in RegistryClient.ManifestAcceptHeaders) request.Headers.Accept.Add(accept);
        }
        return await SendAsync(request, headers).ConfigureAwait(false);
    }

    /// <summary>The digest a tag resolves to now, or null when it does not exist.</summary>
    public async Task<string?> TagDigestAsync(string tag)
    {
        var answer = await GetAsync($"manifests/{tag}").ConfigureAwait(false);
        return answer.Status == HttpStatusCode.OK ? answer.Digest : null;
    }

    public async Task<bool> ManifestExistsAsync(Digest digest) =>
        (await GetAsync($"manifests/{digest}").ConfigureAwait(false)).Status == HttpStatusCode.OK;

    private async Task<Answer> SendAsync(HttpRequestMessage request, (string Name, string Value)[] headers)
    {
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await Client.SendAsync(request, Scopes, CancellationToken.None).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
        return new Answer(response.StatusCode, RepositoryClient.RawHeader(response, "ETag"),
            RepositoryClient.RawHeader(response, "Docker-Content-Digest"), RepositoryClient.RawHeader(response, RegistryClient.ConditionalSignalHeader), body);
    }

    private string Path(string rest) => $"v2/{Repository}/{rest}";

    /// <summary>Deletes what the probe pushed: manifests by digest, then blobs; reports what the registry refused.</summary>
    public async Task<IReadOnlyList<string>> CleanUpAsync()
    {
        var notes = new List<string>();
        var refused = new SortedSet<string>(StringComparer.Ordinal);
        List<Digest> manifests;
        lock (_manifests) manifests = _manifests.Distinct().ToList();
        // Referrers first: some registries keep a subject while something refers to it.
        manifests.Reverse();
        foreach (var digest in manifests)
        {
            var answer = await DeleteAsync($"manifests/{digest}").ConfigureAwait(false);
            if (answer.Status is not (HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent or HttpStatusCode.NotFound))
            {
                refused.Add($"manifest DELETE answered {(int)answer.Status}");
            }
        }
        foreach (var digest in _blobs)
        {
            var answer = await DeleteAsync($"blobs/{digest}").ConfigureAwait(false);
            if (answer.Status is not (HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.NoContent or HttpStatusCode.NotFound))
            {
                refused.Add($"blob DELETE answered {(int)answer.Status}");
            }
        }
        foreach (var reason in refused) notes.Add($"{reason}: {Repository} was left behind");
        return notes;
    }
}

/// <summary>What the registry answered, with the headers the checks look at.</summary>
internal sealed record Answer(HttpStatusCode Status, string? ETag, string? Digest, string? Signal, byte[] Body)
{
    public int Code => (int)Status;

    public override string ToString() => $"{Code}{(ETag is null ? ", no ETag" : $", ETag {ETag}")}";
}
