using System.Text.Json.Serialization;

namespace Berth.Auth.Scopes;

/// <summary>
/// The action needed to read a repository's tag history (Berth's extension endpoint). The history names
/// who moved each tag (user names, or the addresses of anonymous pushers), which is more than pulling
/// reveals, so by default only those who may push, and so could make such moves, may read it.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<TagHistoryAccess>))]
public enum TagHistoryAccess
{
    Push,
    Pull,
}
