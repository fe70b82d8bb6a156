using System.Net;
using System.Net.Sockets;

namespace Berth.Testing.Backends;

/// <summary>A loopback port free at the moment of asking; the daemon that binds it later may lose a race, so callers retry.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
