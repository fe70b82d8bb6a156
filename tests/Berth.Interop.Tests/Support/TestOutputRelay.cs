using Xunit.Abstractions;

namespace Berth.Interop.Tests.Support;

/// <summary>Writes to the current test's output (a class fixture outlives each test's own), and nowhere between tests.</summary>
public sealed class TestOutputRelay : ITestOutputHelper
{
    public ITestOutputHelper? Current { get; set; }

    public void WriteLine(string message) => Current?.WriteLine(message);

    public void WriteLine(string format, params object[] args) => Current?.WriteLine(format, args);
}
