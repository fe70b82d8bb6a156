using System.Net;
using System.Net.Sockets;

namespace Berth.Client.Tests.Support;

public enum TrafficDirection
{
    /// <summary>Client to registry: request bodies (uploads).</summary>
    Upstream,

    /// <summary>Registry to client: response bodies (downloads).</summary>
    Downstream,
}

/// <summary>
/// A TCP proxy between the client and a real registry that, once armed, resets the connection
/// carrying the N-th byte in one direction — a test double for the network, so the client's real
/// resume logic runs against the registry's real HTTP stack.
/// </summary>
public sealed class ConnectionCuttingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly object _gate = new();
    private TrafficDirection _direction;
    private long _remaining = -1;

    public ConnectionCuttingProxy(string upstream)
    {
        var colon = upstream.LastIndexOf(':');
        _upstreamHost = upstream[..colon];
        _upstreamPort = int.Parse(upstream[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        _listener.Start();
        _acceptLoop = AcceptAsync();
    }

    public string Host => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>How many connections were cut so far.</summary>
    public int Cuts { get; private set; }

    /// <summary>Cuts the connection once <paramref name="afterBytes"/> more bytes have passed in <paramref name="direction"/>.</summary>
    public void CutOnce(TrafficDirection direction, long afterBytes)
    {
        lock (_gate)
        {
            _direction = direction;
            _remaining = afterBytes;
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using var upstream = new TcpClient();
        using (client)
        {
            try
            {
                await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token);
                using var pair = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = PumpAsync(client, upstream, TrafficDirection.Upstream, pair);
                var down = PumpAsync(upstream, client, TrafficDirection.Downstream, pair);
                await Task.WhenAny(up, down);
                await pair.CancelAsync();
                await Task.WhenAll(up, down);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection ended one way or another; nothing to clean up beyond the sockets.
            }
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, TrafficDirection direction, CancellationTokenSource pair)
    {
        var buffer = new byte[16 * 1024];
        var source = from.GetStream();
        var target = to.GetStream();
        try
        {
            while (true)
            {
                var read = await source.ReadAsync(buffer, pair.Token);
                if (read == 0) break;
                var forward = read;
                var cut = false;
                lock (_gate)
                {
                    if (_remaining >= 0 && _direction == direction)
                    {
                        if (read >= _remaining)
                        {
                            forward = (int)_remaining;
                            cut = true;
                            _remaining = -1;
                            Cuts++;
                        }
                        else
                        {
                            _remaining -= read;
                        }
                    }
                }
                if (forward > 0) await target.WriteAsync(buffer.AsMemory(0, forward), pair.Token);
                if (cut)
                {
                    await target.FlushAsync(pair.Token);
                    // RST rather than FIN on both sides, like a dropped network path.
                    from.Client.LingerState = new LingerOption(true, 0);
                    to.Client.LingerState = new LingerOption(true, 0);
                    from.Close();
                    to.Close();
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The other direction closed the sockets.
        }
        finally
        {
            await pair.CancelAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
