namespace Berth.Storage.Metadata;

/// <summary>
/// One metadata engine as the registry opens it: the store its operations use, the queries and guarded
/// removals its maintenance uses, the whole-repository reads
/// a migration to another backend uses, the outbox of notification events, the web UI's key ring, and the lifetime of them all. The embedded SQLite store and the
/// PostgreSQL store (its own project) both implement it, so the registry knows the contract, not the engine.
/// </summary>
public interface IMetadataBackend : IMetadataStore, IMetadataMaintenance, IMetadataExport, Events.IEventOutbox, IKeyRingStore, IDisposable;
