namespace Berth.Storage.Metadata;

/// <summary>
/// The web UI's key ring (ASP.NET Core Data Protection key elements, which encrypt session cookies and antiforgery
/// tokens), kept in the metadata store so that every replica on one database reads and extends the same ring.
/// Elements are never changed once added: a revocation or a new key is a new element.
/// </summary>
public interface IKeyRingStore
{
    /// <summary>Every element's XML, exactly as added (Data Protection orders the keys itself, by their dates).</summary>
    IReadOnlyList<string> ReadKeyRing();

    /// <summary>
    /// Adds an element under its unique <paramref name="name"/>. An element of that name already stored (two replicas
    /// importing the same file, say) stays as it is: the call neither fails nor adds a second one.
    /// </summary>
    Task AddToKeyRingAsync(string name, string xml);
}
