namespace Berth.Client.Checking;

/// <summary>What one check of <see cref="ConditionalSupportProbe"/> found.</summary>
public enum CheckOutcome
{
    Passed,

    /// <summary>The registry did not do what the conditional-requests contract promises; see the evidence.</summary>
    Failed,

    /// <summary>The check could not be run (e.g. content it needs could not be pushed).</summary>
    NotApplicable,
}

/// <summary>One check: its stable name, what it verifies, the outcome and what was observed.</summary>
public sealed class CheckResult
{
    public CheckResult(string name, string description, CheckOutcome outcome, string evidence)
    {
        Name = name;
        Description = description;
        Outcome = outcome;
        Evidence = evidence;
    }

    /// <summary>e.g. "if-match-stale-put"; stable, for scripts and JUnit test names.</summary>
    public string Name { get; }

    public string Description { get; }

    public CheckOutcome Outcome { get; }

    /// <summary>The statuses and headers the registry answered with.</summary>
    public string Evidence { get; }
}

/// <summary>The whole probe: every check, and what cleaning up the scratch repository did.</summary>
public sealed class ConditionalSupportReport
{
    public ConditionalSupportReport(string registry, string repository, IReadOnlyList<CheckResult> checks, IReadOnlyList<string> cleanup)
    {
        Registry = registry;
        Repository = repository;
        Checks = checks;
        Cleanup = cleanup;
    }

    public string Registry { get; }

    /// <summary>The scratch repository the probe wrote to.</summary>
    public string Repository { get; }

    public IReadOnlyList<CheckResult> Checks { get; }

    /// <summary>What the clean-up could not do (e.g. a registry that refuses deletes); empty when it all went.</summary>
    public IReadOnlyList<string> Cleanup { get; }

    public bool AllPassed => Checks.All(c => c.Outcome == CheckOutcome.Passed);
}
