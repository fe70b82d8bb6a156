using System.Runtime.InteropServices;
using System.Threading.Channels;
using Berth.Server.Configuration;
using Berth.Server.Logging;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Hosting;

/// <summary>
/// Reads the settings again on SIGHUP (the Unix convention for daemons) and when the config or htpasswd file changes.
/// File events come in bursts (an editor writes, renames, touches), so they are gathered for a moment and applied
/// once. An invalid new configuration is refused with the reason in the log, and the running one stays.
/// </summary>
internal sealed class SettingsReloadService(SettingsSource source, SettingsReloader reloader, TimeProvider time, ILogger<SettingsReloadService> logger)
    : BackgroundService
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    private readonly Channel<string> _triggers = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var hangUp = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, signal =>
        {
            // Handled: without this, SIGHUP would end the process.
            signal.Cancel = true;
            _triggers.Writer.TryWrite("SIGHUP");
        });
        var watched = WatchedFiles();
        var watchers = Watch(watched);
        try
        {
            await foreach (var trigger in _triggers.Reader.ReadAllAsync(stoppingToken))
            {
                await Task.Delay(Settle, time, stoppingToken);
                while (_triggers.Reader.TryRead(out _))
                {
                }
                Reload(trigger);
                // The htpasswd file may have moved with the new settings. The running watchers stay when it has not:
                // a file replaced while watchers were being swapped would go unnoticed until the next change.
                var nowWatched = WatchedFiles();
                if (nowWatched.SequenceEqual(watched)) continue;
                var replaced = watchers;
                watchers = Watch(nowWatched);
                watched = nowWatched;
                foreach (var watcher in replaced) watcher.Dispose();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var watcher in watchers) watcher.Dispose();
        }
    }

    private void Reload(string trigger)
    {
        try
        {
            var outcome = reloader.Apply(source.Load());
            logger.SettingsReloaded(trigger, string.Join(", ", outcome.Applied));
            if (outcome.NeedRestart.Count > 0) logger.SettingsNeedRestart(string.Join(", ", outcome.NeedRestart));
        }
        catch (Exception e) when (e is InvalidSettingsException or FormatException or IOException or InvalidDataException
                                      or UnauthorizedAccessException or ArgumentException)
        {
            logger.SettingsReloadRefused(trigger, e.Message);
        }
    }

    private string[] WatchedFiles() =>
        source.Files.Concat(reloader.Current.Auth?.Htpasswd is { } htpasswd ? [htpasswd] : [])
            .Select(Path.GetFullPath).Distinct().Order(StringComparer.Ordinal).ToArray();

    private List<FileSystemWatcher> Watch(IEnumerable<string> files)
    {
        var watchers = new List<FileSystemWatcher>();
        foreach (var file in files)
        {
            if (Path.GetDirectoryName(file) is not { } folder || !Directory.Exists(folder)) continue;
            // The folder is watched, not the file: editors and config management replace files by renaming over them.
            var watcher = new FileSystemWatcher(folder, Path.GetFileName(file))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler changed = (_, e) => _triggers.Writer.TryWrite($"change of {e.Name}");
            watcher.Changed += changed;
            watcher.Created += changed;
            watcher.Renamed += (_, e) => _triggers.Writer.TryWrite($"change of {e.Name}");
            watcher.EnableRaisingEvents = true;
            watchers.Add(watcher);
        }
        return watchers;
    }
}
