using System.Text.Json.Nodes;
using Berth.Testing.Backends;

namespace Berth.Migration.Tests;

/// <summary>Config files as a user writes them for <c>berth migrate --from/--to</c> and <c>berth db</c>.</summary>
public static class ConfigFiles
{
    public static string Embedded(TemporaryFolder folder, string name, string dataDirectory) =>
        Write(folder, name, new JsonObject { ["dataDirectory"] = dataDirectory });

    public static string PostgreSqlAndS3(TemporaryFolder folder, string name, string dataDirectory, string connectionString,
        CephRadosGateway gateway, string bucket) =>
        Write(folder, name, new JsonObject
        {
            ["dataDirectory"] = dataDirectory,
            ["metadata"] = new JsonObject { ["kind"] = "postgresql", ["connectionString"] = connectionString },
            ["storage"] = new JsonObject
            {
                ["kind"] = "s3",
                ["s3"] = new JsonObject
                {
                    ["bucket"] = bucket,
                    ["serviceUrl"] = gateway.Endpoint,
                    ["region"] = CephRadosGateway.Region,
                    ["forcePathStyle"] = true,
                    ["accessKeyId"] = CephRadosGateway.AccessKey,
                    ["secretAccessKey"] = CephRadosGateway.SecretKey,
                },
            },
        });

    public static string PostgreSql(TemporaryFolder folder, string name, string dataDirectory, string connectionString, bool migrateOnStart) =>
        Write(folder, name, new JsonObject
        {
            ["dataDirectory"] = dataDirectory,
            ["metadata"] = new JsonObject { ["kind"] = "postgresql", ["connectionString"] = connectionString, ["migrateOnStart"] = migrateOnStart },
        });

    private static string Write(TemporaryFolder folder, string name, JsonObject config) =>
        folder.File(name, System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()));
}
