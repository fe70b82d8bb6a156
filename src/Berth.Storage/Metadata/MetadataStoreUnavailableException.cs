namespace Berth.Storage.Metadata;

/// <summary>
/// The metadata database cannot be reached (connection refused or lost, server shutting down or
/// starting up, timeout). Nothing of the failed operation was committed unless the connection dropped
/// during the commit itself, which the database resolves atomically either way. The caller should
/// retry later; the store reconnects by itself. Never thrown for a refused write (constraint, guard).
/// </summary>
public sealed class MetadataStoreUnavailableException(string message, Exception inner) : Exception(message, inner);
