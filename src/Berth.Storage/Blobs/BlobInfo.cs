namespace Berth.Storage.Blobs;

/// <summary>
/// A stored blob: its size, when it was stored (or last refreshed), and, for a store on the local disk,
/// the file that holds it so the server can send it without another copy. Networked stores leave
/// <paramref name="LocalPath"/> null and are read through <see cref="IBlobStore.OpenReadAsync"/>.
/// </summary>
public readonly record struct BlobInfo(long Length, DateTimeOffset StoredAt, string? LocalPath = null);
