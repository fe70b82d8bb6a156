namespace Berth.Registry.Maintenance;

/// <summary>What an integrity check found. Nothing is deleted; damaged blobs may be quarantined.</summary>
public sealed record IntegrityReport
{
    public int BlobsChecked { get; set; }
    public List<string> DamagedBlobs { get; } = [];
    public List<string> Quarantined { get; } = [];
    public List<string> MissingBlobs { get; } = [];
    public List<string> DanglingTags { get; } = [];

    public bool IsHealthy => DamagedBlobs.Count == 0 && MissingBlobs.Count == 0 && DanglingTags.Count == 0;
}
