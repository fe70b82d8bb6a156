namespace Berth.Storage;

/// <summary>
/// The blob storage (an object store over the network) could not be reached or refused the request.
/// The operation that failed made nothing visible; the caller may answer 503 and the client retry.
/// The message names the store and the failed step, never a credential.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : IOException(message, inner);
