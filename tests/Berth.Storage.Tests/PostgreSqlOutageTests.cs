using Berth.Storage.Metadata;
using Berth.Storage.PostgreSql;
using Berth.Testing.Backends;
using Npgsql;
using static Berth.Storage.Tests.StoredContent;

namespace Berth.Storage.Tests;

/// <summary>
/// PostgreSQL going away: operations fail with <see cref="MetadataStoreUnavailableException"/> (the
/// registry's 503), refused writes do not, and the same store instance works again once the server is back.
/// </summary>
public sealed class PostgreSqlOutageTests : IAsyncLifetime
{
    // Its own cluster: stopping the shared one would break every other test running beside this one.
    private PostgreSqlCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await PostgreSqlCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_stopped_server_makes_operations_unavailable_and_the_store_recovers_after_restart()
    {
        using var store = PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = await _cluster.CreateDatabaseAsync() });
        var before = Manifest("r", "before", tags: ["t"]);
        Assert.Equal(WriteStatus.Done, (await store.PutManifestAsync(before, WriteGuard.None)).Status);

        await _cluster.StopAsync();

        var read = Assert.Throws<MetadataStoreUnavailableException>(() => store.ResolveTag("r", "t"));
        Assert.IsAssignableFrom<NpgsqlException>(read.InnerException);
        Assert.DoesNotContain("Host=", read.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<MetadataStoreUnavailableException>(() => store.ChangeVersion());
        await Assert.ThrowsAsync<MetadataStoreUnavailableException>(() =>
            store.PutManifestAsync(Manifest("r", "during", tags: ["t"]), IfMatch(before.Digest)));
        await Assert.ThrowsAsync<MetadataStoreUnavailableException>(() => store.TryAcquireCollectorLockAsync());

        await _cluster.StartAsync();

        // The same instance, without reopening: the broken pooled connections are replaced.
        Assert.Equal(before.Digest, store.ResolveTag("r", "t")!.Manifest.Digest);
        var after = Manifest("r", "after", tags: ["t"]);
        Assert.Equal(WriteStatus.Done, (await store.PutManifestAsync(after, IfMatch(before.Digest))).Status);
        Assert.Equal(after.Digest, store.ResolveTag("r", "t")!.Manifest.Digest);
        Assert.Null(store.GetManifest("r", Manifest("r", "during").Digest));
    }

    [Fact]
    public async Task A_server_restarted_while_the_store_was_idle_is_not_an_error()
    {
        using var store = PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = await _cluster.CreateDatabaseAsync() });
        Assert.Equal(WriteStatus.Done, (await store.PutManifestAsync(Manifest("r", "1", tags: ["t"]), WriteGuard.None)).Status);

        await _cluster.StopAsync(immediate: true);
        await _cluster.StartAsync();

        Assert.NotNull(store.ResolveTag("r", "t"));
        Assert.Equal(WriteStatus.Done, (await store.PutManifestAsync(Manifest("r", "2", tags: ["t"]), WriteGuard.None)).Status);
    }

    [Fact]
    public async Task A_refused_statement_is_not_reported_as_unavailability()
    {
        using var store = PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = await _cluster.CreateDatabaseAsync() });
        var session = new UploadSession("same-id", "r", Oci.Digests.DigestAlgorithm.Sha256, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        await store.CreateUploadAsync(session);

        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => store.CreateUploadAsync(session));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
    }
}
