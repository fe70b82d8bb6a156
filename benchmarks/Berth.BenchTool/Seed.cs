using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Berth.BenchTool;

/// <summary>
/// Seeding for benchmarks/growth.sh: rows written straight into the embedded store's SQLite database (Berth
/// stopped), as SqliteMetadataStore.PutManifestAsync and LinkBlobAsync write them, and unreferenced blob files.
/// </summary>
internal static class Seed
{
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";

    /// <summary>Manifest i of the growth data set; growth.sh builds the same bytes in PostgreSQL with format().</summary>
    public static string Manifest(string configDigest, string layerDigest, long layerSize, long i) =>
        "{\"schemaVersion\":2,\"mediaType\":\"" + ManifestType + "\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" +
        configDigest + "\",\"size\":2},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layerDigest +
        "\",\"size\":" + layerSize.ToString(CultureInfo.InvariantCulture) + "}],\"annotations\":{\"org.opencontainers.image.title\":\"growth-" +
        i.ToString(CultureInfo.InvariantCulture) + "\"}}";

    public static string RepositoryName(long r) => "growth/r" + r.ToString("D4", CultureInfo.InvariantCulture);

    public static string TagName(long n) => "t" + n.ToString("D7", CultureInfo.InvariantCulture);

    // seed-sqlite --db PATH --from A --to B --repositories R --big-tags T --config D --layer D --layer-size S
    // Manifest i (A <= i < B) lives in growth/r(i mod R) under tag t(i div R); the first T manifests are also in
    // growth/big under tag t(i). Each growth repository links the config and the layer blob.
    public static int Sqlite(Options options)
    {
        var from = long.Parse(options.Require("from"), CultureInfo.InvariantCulture);
        var to = long.Parse(options.Require("to"), CultureInfo.InvariantCulture);
        var repositories = options.GetInt("repositories", 1000);
        var bigTags = options.GetInt("big-tags", 10000);
        var config = options.Require("config");
        var layer = options.Require("layer");
        var layerSize = long.Parse(options.Require("layer-size"), CultureInfo.InvariantCulture);
        var watch = Stopwatch.StartNew();
        using var connection = Open(options.Require("db"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var transaction = connection.BeginTransaction();
        var ids = new long[repositories];
        for (var r = 0; r < repositories; r++) ids[r] = EnsureRepository(connection, transaction, RepositoryName(r), now);
        var big = EnsureRepository(connection, transaction, "growth/big", now);
        using (var link = Prepare(connection, transaction,
                   "INSERT OR IGNORE INTO repository_blobs (repository_id, digest, linked_at) VALUES ($id, $digest, $now)", "$id", "$digest", "$now"))
        {
            foreach (var id in ids.Append(big))
            {
                foreach (var digest in new[] { config, layer }) Run(link, id, digest, now);
            }
        }

        var content = Prepare(connection, transaction, """
            INSERT OR IGNORE INTO manifest_contents (digest, media_type, content, artifact_type, annotations)
            VALUES ($digest, $mediaType, $content, NULL, $annotations)
            """, "$digest", "$mediaType", "$content", "$annotations");
        var manifest = Prepare(connection, transaction,
            "INSERT OR IGNORE INTO repository_manifests (repository_id, digest, subject, pushed_at) VALUES ($id, $digest, NULL, $now)", "$id", "$digest", "$now");
        var reference = Prepare(connection, transaction,
            "INSERT OR IGNORE INTO manifest_references (digest, reference) VALUES ($digest, $reference)", "$digest", "$reference");
        var tag = Prepare(connection, transaction,
            "INSERT OR REPLACE INTO tags (repository_id, name, digest, updated_at) VALUES ($id, $tag, $digest, $now)", "$id", "$tag", "$digest", "$now");
        var history = Prepare(connection, transaction, """
            INSERT INTO tag_history (repository_id, tag, old_digest, new_digest, at, actor) VALUES ($id, $tag, NULL, $digest, $now, NULL)
            """, "$id", "$tag", "$digest", "$now");
        var commands = new[] { content, manifest, reference, tag, history };
        for (var i = from; i < to; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(Manifest(config, layer, layerSize, i));
            var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
            Run(content, digest, ManifestType, bytes, "{\"org.opencontainers.image.title\":\"growth-" + i.ToString(CultureInfo.InvariantCulture) + "\"}");
            var repository = ids[i % repositories];
            var name = TagName(i / repositories);
            Run(manifest, repository, digest, now);
            Run(reference, digest, config);
            Run(reference, digest, layer);
            Run(tag, repository, name, digest, now);
            Run(history, repository, name, digest, now);
            if (i < bigTags)
            {
                Run(manifest, big, digest, now);
                Run(tag, big, TagName(i), digest, now);
                Run(history, big, TagName(i), digest, now);
            }
            if ((i + 1) % 100_000 == 0)
            {
                transaction.Commit();
                transaction = connection.BeginTransaction();
                foreach (var command in commands) command.Transaction = transaction;
            }
        }
        transaction.Commit();
        foreach (var command in commands) command.Dispose();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"manifests={to - from}\nseconds={watch.Elapsed.TotalSeconds:F1}"));
        return 0;
    }

    // seed-blobs --dir BLOBS_FOLDER --count N --list FILE [--age-hours H] [--seed S]
    // N distinct 64-byte files in the content-addressed layout blobs/sha256/<2 hex>/<hex>, modified H hours ago;
    // their digests, one a line, in FILE.
    public static int Blobs(Options options)
    {
        var dir = options.Require("dir");
        var count = options.GetInt("count", 100_000);
        var age = TimeSpan.FromHours(options.GetDouble("age-hours", 48));
        var salt = options.Get("seed", "gc");
        var watch = Stopwatch.StartNew();
        var stamp = DateTime.UtcNow - age;
        using var list = new StreamWriter(options.Require("list"));
        for (var i = 0; i < count; i++)
        {
            var bytes = Encoding.ASCII.GetBytes($"unreferenced blob {salt} {i,10}".PadRight(64, '.'));
            var hex = Convert.ToHexStringLower(SHA256.HashData(bytes));
            var folder = Path.Combine(dir, "sha256", hex[..2]);
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, hex);
            File.WriteAllBytes(path, bytes);
            File.SetLastWriteTimeUtc(path, stamp);
            list.WriteLine("sha256:" + hex);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"blobs={count}\nseconds={watch.Elapsed.TotalSeconds:F1}"));
        return 0;
    }

    // seed-sqlite-links --db PATH --list FILE --repositories R [--age-hours H]
    // One unreferenced link per digest of FILE, spread over repositories gc/r0000.., linked H hours ago.
    public static int SqliteLinks(Options options)
    {
        var repositories = options.GetInt("repositories", 100);
        var linkedAt = (DateTimeOffset.UtcNow - TimeSpan.FromHours(options.GetDouble("age-hours", 48))).ToUnixTimeMilliseconds();
        var watch = Stopwatch.StartNew();
        using var connection = Open(options.Require("db"));
        using var transaction = connection.BeginTransaction();
        var ids = new long[repositories];
        for (var r = 0; r < repositories; r++) ids[r] = EnsureRepository(connection, transaction, "gc/r" + r.ToString("D4", CultureInfo.InvariantCulture), linkedAt);
        using var link = Prepare(connection, transaction,
            "INSERT OR IGNORE INTO repository_blobs (repository_id, digest, linked_at) VALUES ($id, $digest, $at)", "$id", "$digest", "$at");
        var n = 0;
        foreach (var digest in File.ReadLines(options.Require("list")))
        {
            Run(link, ids[n++ % repositories], digest, linkedAt);
        }
        transaction.Commit();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"links={n}\nseconds={watch.Elapsed.TotalSeconds:F1}"));
        return 0;
    }

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        connection.Open();
        using var pragmas = connection.CreateCommand();
        // Only this seeding session: Berth is stopped, and its own settings apply again when it opens the file.
        pragmas.CommandText = "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    private static long EnsureRepository(SqliteConnection connection, SqliteTransaction transaction, string name, long now)
    {
        using var insert = Prepare(connection, transaction, "INSERT OR IGNORE INTO repositories (name, created_at) VALUES ($name, $now)", "$name", "$now");
        Run(insert, name, now);
        using var select = Prepare(connection, transaction, "SELECT id FROM repositories WHERE name = $name", "$name");
        select.Parameters[0].Value = name;
        return (long)select.ExecuteScalar()!;
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static void Run(SqliteCommand command, params object[] values)
    {
        for (var k = 0; k < values.Length; k++) command.Parameters[k].Value = values[k];
        command.ExecuteNonQuery();
    }
}
