namespace Berth.Oci.Preconditions;

/// <summary>The current state of the target resource against which preconditions are evaluated.</summary>
public readonly record struct ResourceState(bool Exists, EntityTag? EntityTag, DateTimeOffset? LastModified)
{
    public static readonly ResourceState Missing = new(false, null, null);

    public static ResourceState Present(EntityTag entityTag, DateTimeOffset? lastModified = null) => new(true, entityTag, lastModified);
}
