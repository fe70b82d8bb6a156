namespace Berth.Client.Errors;

/// <summary>Content did not hash to the digest it was fetched or pushed by; nothing was accepted.</summary>
public sealed class DigestMismatchException(string expected, string actual, string what)
    : Exception($"{what}: expected {expected} but the content hashes to {actual}")
{
    public string Expected { get; } = expected;

    public string Actual { get; } = actual;
}
