namespace Berth.Storage.Metadata;

public sealed partial class SqliteMetadataStore
{
    public IReadOnlyList<string> ReadKeyRing() => Read(c =>
    {
        using var command = Command(c, null, "SELECT xml FROM ui_key_ring ORDER BY created_at, name");
        using var reader = command.ExecuteReader();
        var elements = new List<string>();
        while (reader.Read()) elements.Add(reader.GetString(0));
        return (IReadOnlyList<string>)elements;
    });

    public Task AddToKeyRingAsync(string name, string xml) => WriteAsync<int>((c, t) =>
    {
        Execute(c, t, "INSERT INTO ui_key_ring (name, xml, created_at) VALUES ($name, $xml, $now) ON CONFLICT (name) DO NOTHING",
            ("$name", name), ("$xml", xml), ("$now", Now()));
        return (0, true);
    });
}
