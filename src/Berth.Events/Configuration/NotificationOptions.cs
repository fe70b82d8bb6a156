using System.ComponentModel.DataAnnotations;

namespace Berth.Events.Configuration;

/// <summary>Webhook endpoints that receive the registry's events. Empty (the default): no events are recorded.</summary>
public sealed record NotificationOptions : IValidatableObject
{
    public IReadOnlyList<NotificationEndpoint> Endpoints { get; init; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // The name keys the endpoint's pending events in the outbox, so two endpoints must not share one.
        foreach (var name in Endpoints.GroupBy(e => e.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            yield return new ValidationResult($"two endpoints are named '{name}'; names must be unique", [nameof(Endpoints)]);
        }
    }
}
