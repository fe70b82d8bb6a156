namespace Berth.Registry.Maintenance;

/// <summary>What a garbage collection removed (or, on a dry run, would remove).</summary>
public sealed record CollectionReport
{
    public bool DryRun { get; init; }

    /// <summary>Nothing was done: another collector (this process or another replica) was running.</summary>
    public bool SkippedBecauseAnotherCollectorRuns { get; init; }
    public List<string> ManifestsRemoved { get; } = [];
    public List<string> BlobLinksRemoved { get; } = [];
    public List<string> BlobsDeleted { get; } = [];
    public long BytesFreed { get; set; }
    public int UploadsExpired { get; set; }
    public int ManifestContentsRemoved { get; set; }
}
