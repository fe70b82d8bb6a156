using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Storage.ObjectStores.S3;

/// <summary>One object holding a run of an upload's bytes; every segment but the last is at least 5 MiB.</summary>
internal sealed record UploadSegment(string Key, long Length);

/// <summary>
/// An upload's state, stored as a small object beside its segments so every replica sees it. Written
/// after the segments it lists, so a crash leaves at worst unlisted segments (orphans), never a listed
/// segment that is missing.
/// </summary>
internal sealed record S3UploadState(string Algorithm, long Length, IReadOnlyList<UploadSegment> Segments, IReadOnlyList<string> Versions)
{
    /// <summary>How many past versions are kept (each PATCH makes one); enough for any replica's hash to find its own.</summary>
    public const int VersionHistory = 256;

    /// <summary>
    /// The version every upload starts from, before its state object exists. A hash taken there covers
    /// no bytes, so trusting it after any later write is right.
    /// </summary>
    public const string EmptyVersion = "empty";

    public string Version => Versions[^1];

    /// <summary>An upload that has received nothing yet, and so has no state object.</summary>
    public static S3UploadState Empty(Berth.Oci.Digests.DigestAlgorithm algorithm) => new(algorithm.Name, 0, [], [EmptyVersion]);
}

// The state object is JSON in the bucket, with the web defaults (camelCase) it has always been written with.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(S3UploadState))]
internal sealed partial class S3UploadStateJson : JsonSerializerContext;
