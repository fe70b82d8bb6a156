namespace Berth.Storage.PostgreSql;

/// <summary>
/// The (class, object) keys of the advisory locks Berth takes. The two-integer form keeps them apart
/// from any single-bigint advisory lock another application on the same database might use.
/// </summary>
internal static class AdvisoryLocks
{
    /// <summary>Session lock held while migrating the schema: replicas that start together migrate one at a time.</summary>
    public const int Migration = 0x42525401;

    /// <summary>Session lock held by the one garbage collector among all replicas.</summary>
    public const int Collector = 0x42525402;

    /// <summary>
    /// Transaction lock per blob digest (object = hashtext(digest)): linking a blob takes it shared,
    /// deleting the blob's bytes takes it exclusive, so no link is created while the bytes go.
    /// </summary>
    public const int BlobContent = 0x42525403;

    /// <summary>
    /// Transaction lock (object 0): manifest pushes take it shared, removal of orphaned manifest bytes
    /// exclusive, so the collector never removes bytes a push in flight is about to reference again.
    /// </summary>
    public const int ManifestContents = 0x42525404;
}
