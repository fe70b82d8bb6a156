namespace Berth.Server.Tests.Support;

/// <summary>
/// One or more Berth servers opened on the same data folder, as several nodes sharing one store
/// would be: in this process (<see cref="InProcessBerth"/>) or as separate <c>berth serve</c> processes.
/// Racing clients get their own HttpClient, and so their own connections, spread round-robin over
/// the servers.
/// </summary>
public sealed class RegistryCluster : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];
    private readonly List<IAsyncDisposable> _servers;

    private RegistryCluster(string dataDirectory, List<IAsyncDisposable> servers, IReadOnlyList<Uri> addresses)
    {
        DataDirectory = dataDirectory;
        _servers = servers;
        Addresses = addresses;
    }

    public string DataDirectory { get; }

    public IReadOnlyList<Uri> Addresses { get; }

    public static async Task<RegistryCluster> StartAsync(int servers, bool asProcesses = false)
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-cluster-" + Guid.NewGuid().ToString("N"));
        var started = new List<IAsyncDisposable>();
        var addresses = new List<Uri>();
        try
        {
            if (asProcesses)
            {
                // Started together on a folder that does not exist yet: both create and open the store at once.
                var launches = Enumerable.Range(0, servers).Select(_ => BerthProcess.StartAsync(data, TestBackend.Current)).ToList();
                try
                {
                    await Task.WhenAll(launches);
                }
                finally
                {
                    started.AddRange(launches.Where(l => l.IsCompletedSuccessfully).Select(l => l.Result));
                }
                addresses.AddRange(launches.Select(l => l.Result.Address));
            }
            else
            {
                for (var i = 0; i < servers; i++)
                {
                    var registry = await InProcessBerth.StartAsync(dataDirectory: data);
                    started.Add(registry);
                    addresses.Add(registry.Address);
                }
            }
        }
        catch
        {
            foreach (var server in started) await server.DisposeAsync();
            throw;
        }
        return new RegistryCluster(data, started, addresses);
    }

    /// <summary>A fresh client of server <c>index % Addresses.Count</c>.</summary>
    public HttpClient NewClient(int index)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = Addresses[index % Addresses.Count],
            Timeout = TimeSpan.FromSeconds(60),
        };
        _clients.Add(client);
        return client;
    }

    /// <summary>One client per server, to check that every server sees the same state.</summary>
    public IReadOnlyList<HttpClient> OneClientPerServer() => Addresses.Select((_, index) => NewClient(index)).ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients) client.Dispose();
        foreach (var server in _servers) await server.DisposeAsync();
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

/// <summary>
/// Two <c>berth serve</c> processes on one data folder, started on first use and shared by a test
/// class: a process takes seconds to start, so the tests share it, each in its own repository.
/// </summary>
public sealed class ProcessClusterFixture : IAsyncLifetime
{
    private readonly Lazy<Task<RegistryCluster>> _cluster = new(() => RegistryCluster.StartAsync(2, asProcesses: true));

    public Task<RegistryCluster> GetAsync() => _cluster.Value;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_cluster.IsValueCreated) await (await _cluster.Value).DisposeAsync();
    }
}
