using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Berth.Cli.Invocation;
using Berth.Server.Hosting;
using Berth.Storage.Events;
using static Berth.Cli.Commands.MaintenanceCommands;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth events</c>: the notification events not delivered yet (pending: waiting for a retry or their turn) and
/// those given up (failed), read from the metadata store like <c>berth gc</c>, so it works while <c>berth serve</c>
/// runs and shows every replica's outbox. <c>berth events retry</c> sends failed events again.
/// </summary>
internal static class EventsCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public static Command Create()
    {
        var data = DataOption();
        var config = ConfigOption();
        var output = OutputOption();
        var limit = new Option<int>("--limit") { Description = "Show at most this many, oldest first", DefaultValueFactory = _ => 1000 };
        var command = new Command("events", "List notification events waiting for delivery and those given up") { data, config, output, limit, CreateRetry() };
        command.SetAction(async parse =>
        {
            if (await ResolveAsync("events", parse.GetValue(config), parse.GetValue(data)) is not { } options) return ExitCodes.Usage;
            using var registry = RegistryStorage.Open(options);
            var events = registry.Events.ListEvents(Math.Max(1, parse.GetValue(limit)));
            if (parse.GetValue(output) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(events, Json));
                return ExitCodes.Success;
            }
            if (events.Count > 0)
            {
                Console.WriteLine($"{"ID",-8} {"STATUS",-8} {"ENDPOINT",-16} {"ACTION",-10} {"ATTEMPTS",8}  {"CREATED",-20} {"NEXT TRY",-20} REPOSITORY / LAST ERROR");
            }
            foreach (var e in events)
            {
                var next = e.Status == EventDeliveryStatus.Failed ? "-" : Time(e.NextAttemptAt);
                Console.WriteLine($"{e.Id,-8} {e.Status.ToString().ToLowerInvariant(),-8} {e.Endpoint,-16} {e.Action,-10} {e.Attempts,8}  " +
                                  $"{Time(e.CreatedAt),-20} {next,-20} {e.Repository}{(e.LastError is null ? "" : "  (" + e.LastError + ")")}");
            }
            var failed = events.Count(e => e.Status == EventDeliveryStatus.Failed);
            Console.WriteLine($"{events.Count - failed} pending, {failed} failed.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateRetry()
    {
        var data = DataOption();
        var config = ConfigOption();
        var endpoint = new Option<string?>("--endpoint") { Description = "Only this endpoint's failed events (default: all)" };
        var command = new Command("retry", "Make failed events pending again; each goes out on the next delivery round") { data, config, endpoint };
        command.SetAction(async parse =>
        {
            if (await ResolveAsync("events retry", parse.GetValue(config), parse.GetValue(data)) is not { } options) return ExitCodes.Usage;
            using var registry = RegistryStorage.Open(options);
            var count = await registry.Events.RetryFailedEventsAsync(parse.GetValue(endpoint));
            Console.WriteLine($"{count} failed event(s) will be sent again.");
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
