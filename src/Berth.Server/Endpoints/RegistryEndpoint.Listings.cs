using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Protocol;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Registry.Operations;
using Berth.Server.Pipeline;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Endpoints;

/// <summary>end-8 (tags list), the catalog extension, end-12 (referrers) and Berth's tag history.</summary>
internal sealed partial class RegistryEndpoint
{
    private Task ListTagsAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var query = context.Request.Query;
        var result = _registry.Listings.Tags(route.Name, Optional(query, "n"), Optional(query, "last"));
        if (!result.IsSuccess) return ErrorResponse.WriteAsync(context, result.Error);
        AddNextLink(context, $"/v2/{route.Name}/tags/list", result.Value);
        return WriteJsonAsync(context, 200, result.Value.Body);
    }

    private Task CatalogAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var visibility = context.Features.Get<Auth.RepositoryVisibility>();
        var result = _registry.Listings.Catalog(Optional(query, "n"), Optional(query, "last"), visibility?.MayPull);
        if (!result.IsSuccess) return ErrorResponse.WriteAsync(context, result.Error);
        AddNextLink(context, "/v2/_catalog", result.Value);
        return WriteJsonAsync(context, 200, result.Value.Body);
    }

    private Task ReferrersAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var query = context.Request.Query;
        var artifactType = Optional(query, "artifactType");
        var result = _registry.Listings.Referrers(route.Name, route.Reference, artifactType, Optional(query, "last"),
            ConditionalRequestHeaders.ForRead(context.Request));
        if (!result.IsSuccess) return ErrorResponse.WriteAsync(context, result.Error);
        var page = result.Value;
        var headers = context.Response.Headers;
        headers.ETag = page.EntityTag.ToString();
        headers.CacheControl = CacheControlValues.Revalidate;
        if (page.FilterApplied) headers[RegistryHeaders.FiltersApplied] = "artifactType";
        if (page.NextLast is { } last)
        {
            var filter = artifactType is null ? "" : $"artifactType={Uri.EscapeDataString(artifactType)}&";
            headers.Link = $"</v2/{route.Name}/referrers/{route.Reference}?{filter}last={Uri.EscapeDataString(last)}>; rel=\"next\"";
        }
        if (EndsWithPreconditionOutcome(context.Response, page.Outcome)) return Task.CompletedTask;
        return WriteJsonAsync(context, 200, page.Body, MediaTypes.OciIndex);
    }

    private Task TagHistoryAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        if (!Oci.Names.TagName.IsValid(route.Reference))
        {
            return ErrorResponse.WriteAsync(context, Oci.Errors.RegistryError.ManifestUnknown(route.Reference));
        }
        var limit = int.TryParse(Optional(context.Request.Query, "n"), out var n) && n > 0 ? Math.Min(n, 10_000) : 100;
        var moves = _registry.Manifests.History(route.Name, route.Reference, limit)
            .Select(m => new TagMoveBody(m.OldDigest?.ToString(), m.NewDigest?.ToString(), m.At, m.Actor))
            .ToList();
        return WriteJsonAsync(context, 200, JsonSerializer.SerializeToUtf8Bytes(new TagHistoryBody(route.Name, route.Reference, moves), HistoryJson.Default.TagHistoryBody));
    }

    private static string? Optional(IQueryCollection query, string key) =>
        query.TryGetValue(key, out var value) ? value.ToString() : null;

    /// <summary>RFC 8288 Link to the next page, in the form CNCF Distribution and clients use.</summary>
    private static void AddNextLink(HttpContext context, string path, NameList list)
    {
        if (list.NextLast is null) return;
        var n = list.PageSize is { } size ? $"n={size}&" : "";
        context.Response.Headers.Link = $"<{path}?{n}last={Uri.EscapeDataString(list.NextLast)}>; rel=\"next\"";
    }

    private sealed record TagHistoryBody(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("tag")] string Tag,
        [property: JsonPropertyName("moves")] IReadOnlyList<TagMoveBody> Moves);

    private sealed record TagMoveBody(
        [property: JsonPropertyName("from")] string? From,
        [property: JsonPropertyName("to")] string? To,
        [property: JsonPropertyName("at")] DateTimeOffset At,
        [property: JsonPropertyName("actor")] string? Actor);

    [JsonSerializable(typeof(TagHistoryBody))]
    private sealed partial class HistoryJson : JsonSerializerContext;
}
