namespace Berth.Storage.Blobs;

/// <summary>A stored blob: where its bytes are (so the server can hand the file to sendfile) and its size.</summary>
public readonly record struct BlobInfo(string Path, long Length, DateTimeOffset StoredAt);
