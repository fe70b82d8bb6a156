using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Client.Errors;
using Berth.Oci.Protocol;

namespace Berth.Client;

/// <summary>One move of a tag, as Berth records it.</summary>
public sealed record TagMove(
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("actor")] string? Actor);

/// <summary>Berth's tag history extension: <c>GET /v2/&lt;name&gt;/_berth/history/&lt;tag&gt;</c>, newest first.</summary>
public sealed record TagHistory(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("tag")] string Tag,
    [property: JsonPropertyName("moves")] IReadOnlyList<TagMove> Moves);

/// <summary>Tags (end-8) and Berth's tag history.</summary>
public sealed partial class RepositoryClient
{
    /// <summary>All tags, following the RFC 8288 <c>Link: &lt;…&gt;; rel="next"</c> pages (end-8b).</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(CancellationToken cancellationToken = default)
    {
        var tags = new List<string>();
        var next = Path("tags/list");
        while (next is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, next);
            using var response = await SendAsync(request, PullScope, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && tags.Count == 0) return tags;
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            var page = await JsonSerializer.DeserializeAsync(
                await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), ListingJson.Default.TagsPage, cancellationToken).ConfigureAwait(false);
            tags.AddRange(page?.Tags ?? []);
            next = NextPageLink(response);
        }
        return tags;
    }

    /// <summary>The tag's moves, or null when the registry does not offer the extension (it is Berth's own).</summary>
    public async Task<TagHistory?> GetTagHistoryAsync(string tag, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path($"_berth/history/{tag}"));
        using var response = await SendAsync(request, PullScope, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed) return null;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return await JsonSerializer.DeserializeAsync(
            await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), ListingJson.Default.TagHistory, cancellationToken).ConfigureAwait(false)
            ?? throw new RegistryRequestException(response.StatusCode, "GET", request.RequestUri, [], "empty history body");
    }

    /// <summary>The target of a <c>rel="next"</c> Link, relative to the registry.</summary>
    internal static string? NextPageLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues(RegistryHeaders.Link, out var links)) return null;
        foreach (var link in links)
        {
            var open = link.IndexOf('<');
            var close = link.IndexOf('>');
            if (open < 0 || close <= open || !link[close..].Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase)) continue;
            return link[(open + 1)..close].TrimStart('/');
        }
        return null;
    }

    private sealed record TagsPage([property: JsonPropertyName("tags")] List<string>? Tags);

    [JsonSerializable(typeof(TagsPage))]
    [JsonSerializable(typeof(TagHistory))]
    private sealed partial class ListingJson : JsonSerializerContext;
}
