namespace Berth.Server.Hosting;

/// <summary>
/// Where a running server's settings come from, so they can be read again (config reload): <paramref name="Load"/>
/// resolves every layer as at start (file, environment, flags) and throws on an invalid result; <paramref name="Files"/>
/// are watched for changes (the config file; the htpasswd file is watched from the settings themselves).
/// </summary>
public sealed record SettingsSource(Func<ServerOptions> Load, IReadOnlyList<string> Files);
