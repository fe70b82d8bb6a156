namespace Berth.Cli.Commands;

/// <summary>Exit codes scripts can rely on.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    /// <summary>A conditional operation lost its race (412) or its precondition did not hold.</summary>
    public const int Conflict = 3;
    public const int NotFound = 4;
    /// <summary>The registry does not honour preconditions, and the operation needed it to.</summary>
    public const int Unprotected = 5;
}
