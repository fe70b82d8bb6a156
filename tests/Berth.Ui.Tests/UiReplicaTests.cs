using System.Net;
using Berth.Storage.Configuration;
using Berth.Testing.Backends;
using Berth.Ui.Tests.Support;

namespace Berth.Ui.Tests;

/// <summary>
/// Replicas behind one load balancer: each has its own data folder, and they share only the metadata database
/// (PostgreSQL), which holds the UI's key ring, so a browser's cookie and antiforgery token work on any of them.
/// </summary>
public sealed class UiReplicaTests
{
    [Fact]
    public async Task ASessionAndAntiforgeryTokenFromOneReplica_AreAcceptedByAnotherOnTheSameMetadataDatabase()
    {
        var cluster = await PostgreSqlCluster.SharedAsync();
        var database = await cluster.CreateDatabaseAsync("ui-replicas");
        await using var first = await StartAsync(database);
        await using var second = await StartAsync(database);
        await first.Registry.PushImageAsync("team/shared", "v1", OciContent.RandomBytes(10));

        // Signed in on the first replica; the delete form (and its token) also comes from there.
        var jar = new CookieContainer();
        using var alice = first.Browser(jar);
        using var signIn = await alice.SignInAsync(UiScenario.Alice);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var confirm = await alice.GetStringAsync("/ui/r/team/shared/-/delete/v1");
        var cookies = jar.GetCookieHeader(new Uri(first.Address, "/ui/"));
        Assert.Contains("berth-ui=", cookies);
        Assert.Contains("berth-ui-antiforgery=", cookies);

        // The load balancer sends the same browser to the second replica.
        using var moved = UiKeyStorageTests.ClientWithCookies(second, cookies);
        var home = await moved.GetStringAsync("/ui/");
        Assert.Contains("data-testid=\"signed-in-user\"", home);
        Assert.Contains("team/shared", home);
        using var deleted = await UiHttpTests.PostDeleteAsync(moved, "team/shared", "v1", confirm);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Contains("was deleted", await deleted.Content.ReadAsStringAsync());
        Assert.False(first.Registry.Manifests.Read("team/shared", "v1", Oci.Preconditions.RequestPreconditions.None).IsSuccess);

        // The control: a Berth on another database has another key ring and takes the cookie for none.
        await using var stranger = await StartAsync(await cluster.CreateDatabaseAsync("ui-stranger"));
        using var elsewhere = UiKeyStorageTests.ClientWithCookies(stranger, cookies);
        Assert.DoesNotContain("data-testid=\"signed-in-user\"", await elsewhere.GetStringAsync("/ui/"));

        // Nothing of the key ring is in either replica's data folder.
        Assert.False(Directory.Exists(Path.Combine(first.DataDirectory, "ui")));
        Assert.False(Directory.Exists(Path.Combine(second.DataDirectory, "ui")));
    }

    /// <summary>
    /// One configuration for all replicas, as a deployment has: UiScenario.Auth hashes the passwords afresh (new salt)
    /// each time, and a session is bound to its user's password hash.
    /// </summary>
    private static readonly Auth.AuthOptions Auth = UiScenario.Auth;

    /// <summary>A replica: its own data folder and blob files, the given PostgreSQL database for metadata.</summary>
    private static Task<InProcessBerth> StartAsync(string connectionString) =>
        InProcessBerth.StartAsync(
            registry => registry with { Metadata = new MetadataOptions { Kind = MetadataStoreKind.PostgreSql, ConnectionString = connectionString } },
            server: options => options with { Auth = Auth },
            backend: TestBackend.Embedded);
}
