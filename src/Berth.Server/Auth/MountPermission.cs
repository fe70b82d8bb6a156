namespace Berth.Server.Auth;

/// <summary>
/// A request feature set by access control on upload starts: whether the caller may take a blob from a
/// repository by mounting it (distribution-spec end-11 needs pull on the source). The endpoint asks it with
/// the very "from" value it will use, so there is one reading of the query and one decision.
/// </summary>
public sealed class MountPermission(Func<string, bool> mayMountFrom)
{
    public Func<string, bool> MayMountFrom { get; } = mayMountFrom;
}
