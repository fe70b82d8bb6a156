using Berth.Storage.Metadata;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    public IReadOnlyList<string> ReadKeyRing() => Read(c =>
    {
        using var command = Command(c, null, "SELECT xml FROM ui_key_ring ORDER BY created_at, name");
        using var reader = command.ExecuteReader();
        var elements = new List<string>();
        while (reader.Read()) elements.Add(reader.GetString(0));
        return (IReadOnlyList<string>)elements;
    });

    // ON CONFLICT DO NOTHING: two replicas adding the same element at once (importing one copied key file) both succeed.
    public Task AddToKeyRingAsync(string name, string xml) => WriteAsync<int>(async (c, t) =>
    {
        await ExecuteAsync(c, t, "INSERT INTO ui_key_ring (name, xml, created_at) VALUES (@name, @xml, @now) ON CONFLICT (name) DO NOTHING",
            ("name", name), ("xml", xml), ("now", Now()));
        return (0, true);
    });
}
