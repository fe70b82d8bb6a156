using Berth.Oci.Digests;
using Berth.Storage.Metadata;
using Npgsql;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore : IMetadataExport
{
    public IReadOnlyList<Digest> LinkedBlobs(string repository) => Read(c => Digests(c, """
        SELECT b.digest FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id
        WHERE r.name = @name ORDER BY b.digest COLLATE "C"
        """, repository));

    public IReadOnlyList<Digest> ManifestDigests(string repository) => Read(c => Digests(c, """
        SELECT m.digest FROM repository_manifests m JOIN repositories r ON r.id = m.repository_id
        WHERE r.name = @name ORDER BY m.pushed_at, m.digest COLLATE "C"
        """, repository));

    public IReadOnlyList<(string Tag, Digest Digest)> Tags(string repository) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT t.name, t.digest FROM tags t JOIN repositories r ON r.id = t.repository_id
            WHERE r.name = @name ORDER BY t.name COLLATE "C"
            """, ("name", repository));
        using var reader = command.ExecuteReader();
        var tags = new List<(string, Digest)>();
        while (reader.Read()) tags.Add((reader.GetString(0), Digest.Parse(reader.GetString(1))));
        return (IReadOnlyList<(string, Digest)>)tags;
    });

    private static IReadOnlyList<Digest> Digests(NpgsqlConnection connection, string sql, string repository)
    {
        using var command = Command(connection, null, sql, ("name", repository));
        using var reader = command.ExecuteReader();
        var digests = new List<Digest>();
        while (reader.Read()) digests.Add(Digest.Parse(reader.GetString(0)));
        return digests;
    }
}
