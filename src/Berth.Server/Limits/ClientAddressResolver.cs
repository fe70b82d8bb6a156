using System.Net;
using System.Net.Sockets;

namespace Berth.Server.Limits;

/// <summary>
/// Who the client is, for rate limits, logs and the actor of anonymous tag moves. The peer of the TCP
/// connection is the client unless it is one of the configured trusted proxies; only then is
/// X-Forwarded-For believed, read from the right (the entry the nearest proxy added) past every trusted
/// proxy, because entries further left are whatever the client chose to send. Without trusted proxies
/// the header is ignored entirely, so nobody can pick the address their requests are counted under.
/// </summary>
public sealed class ClientAddressResolver
{
    private readonly IReadOnlyList<IPNetwork> _trusted;

    /// <param name="trustedProxies">Addresses ("10.0.0.7", "::1") or networks in CIDR form ("10.0.0.0/8", "fd00::/8").</param>
    /// <exception cref="ArgumentException">An entry is neither.</exception>
    public ClientAddressResolver(IEnumerable<string> trustedProxies)
    {
        var trusted = new List<IPNetwork>();
        foreach (var entry in trustedProxies)
        {
            var text = entry.Trim();
            if (IPNetwork.TryParse(text, out var network))
            {
                // "10.0.0.1/8" is most likely a typo for /32 or for 10.0.0.0/8; guessing either could trust too much.
                if (!network.BaseAddress.Equals(IPAddress.Parse(text[..text.IndexOf('/')])))
                {
                    throw new ArgumentException($"trustedProxies: '{entry}' has address bits past its prefix; write {network} or the single address");
                }
                trusted.Add(network);
            }
            else if (IPAddress.TryParse(text, out var address))
            {
                address = Normalise(address);
                trusted.Add(new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new ArgumentException($"trustedProxies: '{entry}' is neither an IP address nor a network like 10.0.0.0/8");
            }
        }
        _trusted = trusted;
    }

    public bool HasTrustedProxies => _trusted.Count > 0;

    /// <summary>The client's address, given the connection's peer and the request's X-Forwarded-For values.</summary>
    public IPAddress? Resolve(IPAddress? peer, IReadOnlyList<string> forwardedFor)
    {
        if (peer is null) return null;
        var client = Normalise(peer);
        if (!IsTrusted(client)) return client;
        // Several header lines are one list in order (RFC 9110 §5.3); walk it from the nearest hop outwards.
        var hops = forwardedFor.SelectMany(v => v.Split(',')).Select(h => h.Trim()).Where(h => h.Length > 0).ToList();
        for (var i = hops.Count - 1; i >= 0; i--)
        {
            // A hop that is no address (garbage, "unknown", an obfuscated identifier) ends what can be believed.
            if (!TryParseHop(hops[i], out var hop)) return client;
            client = hop;
            if (!IsTrusted(client)) return client;
        }
        return client;
    }

    /// <summary>
    /// The rate limiter's key for an address. An IPv6 client is usually given a whole /64 (RFC 6177) and can
    /// use any address in it, so IPv6 addresses are counted by their /64; IPv4 addresses by themselves.
    /// </summary>
    public static string RateLimitKey(IPAddress? address)
    {
        if (address is null) return "unknown";
        address = Normalise(address);
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    private bool IsTrusted(IPAddress address) => _trusted.Any(network => network.Contains(address));

    /// <summary>"192.0.2.1", "192.0.2.1:4711", "2001:db8::1" or "[2001:db8::1]:4711".</summary>
    private static bool TryParseHop(string hop, out IPAddress address)
    {
        if (IPEndPoint.TryParse(hop, out var endpoint))
        {
            address = Normalise(endpoint.Address);
            return true;
        }
        address = IPAddress.None;
        return false;
    }

    /// <summary>A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they are IPv4 clients.</summary>
    private static IPAddress Normalise(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
