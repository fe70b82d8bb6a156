using Berth.Oci.Digests;
using Berth.Storage.Metadata;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    public Task CreateUploadAsync(UploadSession session) => WriteAsync<int>(async (c, t) =>
    {
        await ExecuteAsync(c, t, "INSERT INTO uploads (id, repository, algorithm, started_at, updated_at) VALUES (@id, @repository, @algorithm, @at, @at)",
            ("id", session.Id), ("repository", session.Repository), ("algorithm", session.Algorithm.Name),
            ("at", session.StartedAt.ToUnixTimeMilliseconds()));
        return (0, true);
    });

    public UploadSession? GetUpload(string id) => Read(c =>
    {
        using var command = Command(c, null, "SELECT repository, algorithm, started_at, updated_at FROM uploads WHERE id = @id", ("id", id));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        var algorithm = DigestAlgorithm.FromName(reader.GetString(1)) ?? DigestAlgorithm.Sha256;
        return new UploadSession(id, reader.GetString(0), algorithm, Time(reader.GetInt64(2)), Time(reader.GetInt64(3)));
    });

    public Task TouchUploadAsync(string id, DateTimeOffset at) => WriteAsync<int>(async (c, t) =>
    {
        await ExecuteAsync(c, t, "UPDATE uploads SET updated_at = @at WHERE id = @id", ("id", id), ("at", at.ToUnixTimeMilliseconds()));
        return (0, true);
    });

    public Task DeleteUploadAsync(string id) => WriteAsync<int>(async (c, t) =>
    {
        await ExecuteAsync(c, t, "DELETE FROM uploads WHERE id = @id", ("id", id));
        return (0, true);
    });

    public IReadOnlyList<string> ExpiredUploads(DateTimeOffset idleSince) => Read(c =>
    {
        using var command = Command(c, null, "SELECT id FROM uploads WHERE updated_at < @before", ("before", idleSince.ToUnixTimeMilliseconds()));
        using var reader = command.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read()) ids.Add(reader.GetString(0));
        return (IReadOnlyList<string>)ids;
    });
}
