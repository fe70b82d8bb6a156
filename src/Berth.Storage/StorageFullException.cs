namespace Berth.Storage;

/// <summary>
/// The disk (or quota) under the data folder is full. Whatever the failed operation was writing has
/// been rolled back; everything stored before is intact.
/// </summary>
public sealed class StorageFullException(string message, Exception inner) : IOException(message, inner);
