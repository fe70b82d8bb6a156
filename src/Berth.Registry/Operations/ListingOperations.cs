using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Registry.Results;
using Berth.Storage.Metadata;

namespace Berth.Registry.Operations;

/// <summary>
/// A page of names and its JSON document (end-8 tags list or the catalog); <see cref="NextLast"/> is the
/// "last" value of the next page, if any.
/// </summary>
public sealed record NameList(IReadOnlyList<string> Names, string? NextLast, int? PageSize, byte[] Body);

/// <summary>A referrers response body, serialised deterministically so its digest can be its ETag.</summary>
public sealed record ReferrersPage(byte[] Body, Digest BodyDigest, bool FilterApplied, string? NextLast, PreconditionOutcome Outcome)
{
    public EntityTag EntityTag => EntityTag.ForDigest(BodyDigest);
}

/// <summary>Tags list (end-8), catalog, and referrers (end-12).</summary>
public sealed partial class ListingOperations
{
    private readonly RegistryOptions _options;
    private readonly IMetadataStore _metadata;
    private readonly TagListCache _tagLists = new();

    internal ListingOperations(RegistryOptions options, IMetadataStore metadata)
    {
        _options = options;
        _metadata = metadata;
    }

    /// <summary>Whether any repository of this name exists (the pull-through cache's mirror mode asks).</summary>
    public bool RepositoryExists(string name) => Oci.Names.RepositoryName.IsValid(name) && _metadata.RepositoryExists(name);

    public Result<NameList> Tags(string name, string? n, string? last)
    {
        if (Validate.Name(name) is { } nameError) return nameError;
        if (!TryParsePageSize(n, out var pageSize)) return BadPageSize();
        if (pageSize == 0)
        {
            // n=0 asks for nothing: an empty list and no Link (distribution-spec end-8).
            return _metadata.RepositoryExists(name) ? TagsList(name, [], null, 0) : RegistryError.NameUnknown(name);
        }
        // The version is read before the tags, so a cached list is never labelled newer than it is.
        var version = _metadata.ChangeVersion();
        if (_tagLists.Get(name, version) is not { } entry)
        {
            if (_metadata.ListTags(name, null, int.MaxValue - 1) is not { } all) return RegistryError.NameUnknown(name);
            entry = _tagLists.Put(name, version, [.. all.Items]);
        }
        // The whole list is what most clients ask for; its document is kept until anything changes.
        if (pageSize is null && string.IsNullOrEmpty(last)) return entry.Whole ??= TagsList(name, entry.Tags, null, null);
        var page = TagListCache.Slice(entry.Tags, last, pageSize ?? int.MaxValue - 1);
        return TagsList(name, page.Items, page.HasMore && page.Items.Count > 0 ? page.Items[^1] : null, pageSize);
    }

    /// <param name="visible">
    /// When given, only repositories it accepts are listed (access control: what the caller may pull). Pages
    /// are filled from further down the list, so a page is short only at the end and the Link never points
    /// past names the caller cannot see.
    /// </param>
    public Result<NameList> Catalog(string? n, string? last, Func<string, bool>? visible = null)
    {
        if (!TryParsePageSize(n, out var pageSize)) return BadPageSize();
        if (pageSize == 0) return CatalogList([], null, 0);
        if (visible is null) return ToList(_metadata.ListRepositories(last, pageSize ?? int.MaxValue - 1), pageSize);

        var wanted = pageSize ?? int.MaxValue - 1;
        var names = new List<string>();
        var more = false;
        var cursor = last;
        while (true)
        {
            var page = _metadata.ListRepositories(cursor, Math.Clamp(wanted, 100, 1000));
            foreach (var name in page.Items)
            {
                if (!visible(name)) continue;
                if (names.Count == wanted)
                {
                    more = true;
                    break;
                }
                names.Add(name);
            }
            if (more || !page.HasMore || page.Items.Count == 0) break;
            cursor = page.Items[^1];
        }
        return ToList(new Page(names, more), pageSize);
    }

    /// <summary>
    /// end-12: an image index of every manifest in the repository whose subject is the digest, even
    /// when the subject itself was never pushed. Descriptors are ordered by digest so the body, and
    /// therefore its ETag, depends only on the set of referrers.
    /// </summary>
    public Result<ReferrersPage> Referrers(string name, string digestText, string? artifactType, string? last, RequestPreconditions conditions)
    {
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Validate.Digest(digestText, out var subject) is { } digestError) return digestError;
        IEnumerable<Descriptor> referrers = _metadata.ListReferrers(name, subject);
        var filtered = !string.IsNullOrEmpty(artifactType);
        if (filtered) referrers = referrers.Where(d => d.ArtifactType == artifactType);
        if (!string.IsNullOrEmpty(last)) referrers = referrers.Where(d => string.CompareOrdinal(d.Digest, last) > 0);
        var page = referrers.Take(_options.ReferrersPageSize + 1).ToList();
        string? nextLast = null;
        if (page.Count > _options.ReferrersPageSize)
        {
            page.RemoveAt(page.Count - 1);
            nextLast = page[^1].Digest;
        }
        var body = JsonSerializer.SerializeToUtf8Bytes(new ReferrersIndex(page), ListingJson.Default.ReferrersIndex);
        var bodyDigest = Digest.Compute(DigestAlgorithm.Sha256, body);
        var outcome = PreconditionEvaluator.Evaluate(conditions, ResourceState.Present(EntityTag.ForDigest(bodyDigest)), isSafeMethod: true);
        return new ReferrersPage(body, bodyDigest, filtered, nextLast, outcome);
    }

    private sealed record ReferrersIndex(IReadOnlyList<Descriptor> Manifests)
    {
        [System.Text.Json.Serialization.JsonPropertyName("schemaVersion")]
        public int SchemaVersion => 2;

        [System.Text.Json.Serialization.JsonPropertyName("mediaType")]
        public string MediaType => MediaTypes.OciIndex;

        [System.Text.Json.Serialization.JsonPropertyName("manifests")]
        public IReadOnlyList<Descriptor> Manifests { get; } = Manifests;
    }

    private static NameList ToList(Page page, int? pageSize) => CatalogList(page.Items, page.HasMore && page.Items.Count > 0 ? page.Items[^1] : null, pageSize);

    private static NameList TagsList(string name, IReadOnlyList<string> tags, string? nextLast, int? pageSize) =>
        new(tags, nextLast, pageSize, JsonSerializer.SerializeToUtf8Bytes(new TagsDocument(name, tags), ListingJson.Default.TagsDocument));

    private static NameList CatalogList(IReadOnlyList<string> repositories, string? nextLast, int? pageSize) =>
        new(repositories, nextLast, pageSize, JsonSerializer.SerializeToUtf8Bytes(new CatalogDocument(repositories), ListingJson.Default.CatalogDocument));

    private sealed record TagsDocument(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("tags")] IReadOnlyList<string> Tags);

    private sealed record CatalogDocument([property: JsonPropertyName("repositories")] IReadOnlyList<string> Repositories);

    [JsonSerializable(typeof(ReferrersIndex))]
    [JsonSerializable(typeof(TagsDocument))]
    [JsonSerializable(typeof(CatalogDocument))]
    private sealed partial class ListingJson : JsonSerializerContext;

    /// <summary>False when n is malformed; <paramref name="limit"/> is null when n is absent (no limit).</summary>
    private bool TryParsePageSize(string? n, out int? limit)
    {
        limit = null;
        if (n is null) return true;
        if (!int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var size)) return false;
        limit = Math.Min(size, _options.MaxPageSize);
        return true;
    }

    private static RegistryError BadPageSize() => RegistryError.Unsupported("n must be a non-negative integer");
}
