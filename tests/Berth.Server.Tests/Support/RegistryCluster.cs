namespace Berth.Server.Tests.Support;

/// <summary>
/// One or more Berth servers opened on the same data folder, as several nodes (or processes) sharing
/// one store would be. Racing clients get their own HttpClient, and so their own connections, spread
/// round-robin over the servers.
/// </summary>
public sealed class RegistryCluster : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];

    private RegistryCluster(string dataDirectory, IReadOnlyList<TestRegistry> servers)
    {
        DataDirectory = dataDirectory;
        Servers = servers;
    }

    public string DataDirectory { get; }

    public IReadOnlyList<TestRegistry> Servers { get; }

    public static async Task<RegistryCluster> StartAsync(int servers)
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-cluster-" + Guid.NewGuid().ToString("N"));
        var started = new List<TestRegistry>();
        for (var i = 0; i < servers; i++) started.Add(await TestRegistry.StartAsync(dataDirectory: data));
        return new RegistryCluster(data, started);
    }

    /// <summary>A fresh client of server <c>index % Servers.Count</c>.</summary>
    public HttpClient NewClient(int index)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = Servers[index % Servers.Count].Address,
            Timeout = TimeSpan.FromSeconds(60),
        };
        _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        foreach (var server in Servers) await server.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is harmless.
        }
    }
}

/// <summary>Starts many requests at the same instant, after each client has opened its connection.</summary>
public static class Race
{
    public static async Task<T[]> RunAsync<T>(IReadOnlyList<HttpClient> clients, Func<HttpClient, int, Task<T>> racer)
    {
        // Open every connection first, so the racing requests leave together instead of queueing on connects.
        await Task.WhenAll(clients.Select(async client =>
        {
            using var warm = await client.GetAsync("/v2/");
            warm.EnsureSuccessStatusCode();
        }));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = clients.Select((client, index) => Task.Run(async () =>
        {
            await gate.Task;
            return await racer(client, index);
        })).ToArray();
        gate.SetResult();
        return await Task.WhenAll(racers);
    }
}
