using System.ComponentModel.DataAnnotations;

namespace Berth.Server.Limits;

/// <summary>
/// Request rate limits; each is optional. Clients are told apart by their IP address (IPv6 by its /64), the
/// one X-Forwarded-For names when the connection comes from a trusted proxy.
/// </summary>
public sealed record RateLimitOptions
{
    /// <summary>For each client address.</summary>
    public RateLimit? PerClient { get; init; }

    /// <summary>For all clients together.</summary>
    public RateLimit? Global { get; init; }
}

/// <summary>A token bucket: <see cref="RequestsPerSecond"/> on average, bursts of up to <see cref="Burst"/> (default: one second's worth).</summary>
public sealed record RateLimit : IValidatableObject
{
    public int RequestsPerSecond { get; init; }

    public int? Burst { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RequestsPerSecond <= 0) yield return new ValidationResult("must be positive", [nameof(RequestsPerSecond)]);
        if (Burst is <= 0) yield return new ValidationResult("must be positive", [nameof(Burst)]);
    }
}
