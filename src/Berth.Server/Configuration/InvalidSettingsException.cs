namespace Berth.Server.Configuration;

/// <summary>Settings that cannot be used, each problem naming the key or variable it comes from (never a secret's value).</summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> problems)
    : Exception(problems.Count == 1 ? problems[0] : "invalid settings:" + string.Concat(problems.Select(p => Environment.NewLine + "  " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
