using System.Text.Json.Serialization;

namespace Berth.Storage.PostgreSql;

// A descriptor's annotations are kept as one JSON column; source-generated so the native executable
// needs no reflection to write or read them.
[JsonSerializable(typeof(SortedDictionary<string, string>))]
internal sealed partial class AnnotationsJson : JsonSerializerContext;
