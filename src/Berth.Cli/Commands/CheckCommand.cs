using System.CommandLine;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Berth.Cli.Invocation;
using Berth.Client.Checking;
using Spectre.Console;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth check REGISTRY/REPOSITORY</c>: runs <see cref="ConditionalSupportProbe"/> and reports it as a
/// table, JSON, and optionally JUnit XML; exit 0 only when every check passed.
/// </summary>
internal static partial class CheckCommand
{
    /// <summary>Digests shortened in the table (JSON and JUnit keep them whole).</summary>
    [GeneratedRegex("(sha256:[0-9a-f]{12})[0-9a-f]{52}")]
    private static partial Regex LongDigest();

    public static Command Create(GlobalOptions options)
    {
        var target = new Argument<string>("repository")
        {
            Description = "REGISTRY/REPOSITORY: the probe writes to a new scratch repository under it and deletes it afterwards",
        };
        var junit = new Option<FileInfo?>("--junit") { Description = "Also write the results as JUnit XML to this file (for CI systems)" };
        var writers = new Option<int>("--writers") { Description = "How many racing read-modify-write writers", DefaultValueFactory = _ => 8 };
        var command = new Command("check",
            "Probe a registry for conditional-request support (support header, ETags, If-None-Match, If-Match, create-only, "
            + "malformed conditions, racing writers); exit 0 only when every check passes")
        {
            target, junit, writers,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var reference = CliSession.ParseReference(parse.GetRequiredValue(target));
            if (reference.ManifestReference is not null) throw new UsageException("berth check takes REGISTRY/REPOSITORY without a tag or digest");
            var count = parse.GetValue(writers);
            if (count < 2) throw new UsageException("--writers needs at least 2");
            var probe = new ConditionalSupportProbe(session.ClientFor(reference), count);
            var report = await probe.RunAsync(reference.Repository, cancellationToken);
            if (parse.GetValue(junit) is { } file) await File.WriteAllTextAsync(file.FullName, JUnitReport(report).ToString(), cancellationToken);
            if (session.Format == OutputFormat.Json)
            {
                await session.WriteResultAsync(new
                {
                    registry = report.Registry,
                    repository = report.Repository,
                    passed = report.AllPassed,
                    checks = report.Checks.Select(c => new { name = c.Name, outcome = c.Outcome, description = c.Description, evidence = c.Evidence }),
                    cleanup = report.Cleanup,
                }, "");
            }
            else
            {
                WriteTable(session.Out, report);
            }
            return report.AllPassed ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    private static void WriteTable(TextWriter output, ConditionalSupportReport report)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;
        var table = new Table().Border(TableBorder.Simple).AddColumn("check").AddColumn("result").AddColumn("evidence");
        foreach (var check in report.Checks)
        {
            table.AddRow(Markup.Escape(check.Name), OutcomeText(check.Outcome), Markup.Escape(LongDigest().Replace(check.Evidence, "$1…")));
        }
        console.WriteLine($"{report.Registry}/{report.Repository}");
        console.Write(table);
        var passed = report.Checks.Count(c => c.Outcome == CheckOutcome.Passed);
        console.WriteLine($"{passed} of {report.Checks.Count} checks passed");
        foreach (var note in report.Cleanup) console.WriteLine($"clean-up: {note}");
    }

    private static string OutcomeText(CheckOutcome outcome) => outcome switch
    {
        CheckOutcome.Passed => "pass",
        CheckOutcome.Failed => "FAIL",
        _ => "n/a",
    };

    /// <summary>The de facto JUnit schema CI systems read: one testsuite, a testcase per check, failure/skipped children.</summary>
    public static XDocument JUnitReport(ConditionalSupportReport report)
    {
        var suite = new XElement("testsuite",
            new XAttribute("name", $"berth check {report.Registry}"),
            new XAttribute("tests", report.Checks.Count),
            new XAttribute("failures", report.Checks.Count(c => c.Outcome == CheckOutcome.Failed)),
            new XAttribute("skipped", report.Checks.Count(c => c.Outcome == CheckOutcome.NotApplicable)));
        foreach (var check in report.Checks)
        {
            var testcase = new XElement("testcase", new XAttribute("classname", "conditional-requests"), new XAttribute("name", check.Name),
                new XElement("system-out", $"{check.Description}: {check.Evidence}"));
            if (check.Outcome == CheckOutcome.Failed) testcase.AddFirst(new XElement("failure", new XAttribute("message", check.Evidence)));
            if (check.Outcome == CheckOutcome.NotApplicable) testcase.AddFirst(new XElement("skipped", new XAttribute("message", check.Evidence)));
            suite.Add(testcase);
        }
        return new XDocument(new XElement("testsuites", suite));
    }
}
