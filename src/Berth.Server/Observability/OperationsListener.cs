using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Observability;

/// <summary>
/// The optional listener of its own for /metrics and the health probes (metrics.listen). Its connections are marked
/// when accepted, so a request is told apart by the listener it came through, not by anything the client sends.
/// </summary>
internal static class OperationsListener
{
    private static readonly object Marker = new();

    public static readonly string[] Paths = ["/metrics", HealthEndpoints.LivenessPath, HealthEndpoints.ReadinessPath];

    /// <summary>Marks every connection of a listener as an operations connection.</summary>
    public static void Mark(IConnectionBuilder listener) =>
        listener.Use(next => connection =>
        {
            connection.Items[Marker] = true;
            return next(connection);
        });

    public static bool IsOn(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(Marker) == true;
}
