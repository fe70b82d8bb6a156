using System.ComponentModel.DataAnnotations;

namespace Berth.Events.Configuration;

/// <summary>One webhook: where events are POSTed, which of them, and how long a failing delivery is retried.</summary>
public sealed record NotificationEndpoint : IValidatableObject
{
    /// <summary>Names the endpoint in the outbox, logs, metrics and <c>berth events</c>; keep it when changing the URL.</summary>
    public string Name { get; init; } = "";

    public string Url { get; init; } = "";

    /// <summary>Sent with every request, e.g. an Authorization header the receiver expects.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>How long one delivery attempt may take.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the first failed attempt; it doubles with each further failure, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>An event still undelivered this long after its write is given up (kept as failed, see <c>berth events</c>).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The actions sent: push, delete, mount, tag-moved, pull. Empty (the default): every action but pull, since a
    /// pull event costs a write on every read.
    /// </summary>
    public IReadOnlyList<string> Actions { get; init; } = [];

    /// <summary>Repository globs ("*" within a segment, "**" across); empty: every repository.</summary>
    public IReadOnlyList<string> Repositories { get; init; } = [];

    /// <summary>Events whose target has one of these media types are not sent (as Distribution's ignoredmediatypes).</summary>
    public IReadOnlyList<string> IgnoredMediaTypes { get; init; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return new ValidationResult("must name the endpoint", [nameof(Name)]);
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult("must be an http:// or https:// URL", [nameof(Url)]);
        }
        if (Timeout <= TimeSpan.Zero) yield return new ValidationResult("must be positive", [nameof(Timeout)]);
        if (Backoff <= TimeSpan.Zero || MaxBackoff < Backoff) yield return new ValidationResult("must be positive and at most maxBackoff", [nameof(Backoff)]);
        foreach (var action in Actions.Where(a => !EventActions.All.Contains(a)))
        {
            yield return new ValidationResult($"'{action}' is not an action; use {string.Join(", ", EventActions.All)}", [nameof(Actions)]);
        }
    }
}
