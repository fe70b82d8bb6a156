namespace Berth.Registry.Operations;

/// <summary>
/// Where a cross-repository mount (distribution-spec end-11) may take a blob from. Access control decides it
/// and hands it to <see cref="UploadOperations.MountAsync"/> as a value, so the decision cannot be changed
/// or lost on the way (it used to travel through a rewritten query string, whose keys ASP.NET Core compares
/// case-insensitively: "?Mount=…&amp;From=…" slipped past the check).
/// </summary>
public sealed class MountSource
{
    private MountSource(string? repository) => Repository = repository;

    /// <summary>Any repository holding the blob: a mount without "from" on a registry without access control.</summary>
    public static MountSource AnyRepository { get; } = new(null);

    /// <summary>Only this repository, which the caller has been found to be allowed to pull.</summary>
    public static MountSource FromRepository(string repository) => new(repository);

    /// <summary>The one repository the blob may come from; null for <see cref="AnyRepository"/>.</summary>
    public string? Repository { get; }
}
