using BenchmarkDotNet.Running;

namespace Berth.Benchmarks;

/// <summary>
/// Micro-benchmarks of request hot paths. Run in Release:
///   dotnet run -c Release --project benchmarks/Berth.Benchmarks -- --filter '*'
/// Any BenchmarkDotNet option works after "--" (e.g. --job short, --filter '*Digest*').
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
