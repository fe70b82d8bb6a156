using System.Collections;
using Berth.Server.Configuration;
using Berth.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Berth.Cli.Configuration;

/// <summary>
/// Settings of the server-side commands (serve, gc, fsck), layered: built-in defaults, then the JSON config file, then
/// <c>BERTH_*</c> environment variables, then command-line flags (the most specific wins). The layers only carry keys;
/// <see cref="BerthSettings"/> binds them to the options records and validates them once.
/// </summary>
internal static class BerthConfiguration
{
    /// <summary>Names the config file when <c>--config</c> is not given; not a setting itself.</summary>
    public const string ConfigFileVariable = "BERTH_CONFIG";

    /// <summary>The layers, for binding; <paramref name="environment"/> defaults to the process's variables.</summary>
    public static IConfigurationRoot Build(string? configFile, IEnumerable<SettingFlag> flags, IDictionary? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables();
        configFile ??= environment[ConfigFileVariable] as string;
        var builder = new ConfigurationBuilder();
        if (!string.IsNullOrEmpty(configFile)) builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        builder.Add(new EnvironmentLayer(environment));
        builder.Add(new FlagLayer(flags.Where(f => f.Value is not null).ToList()));
        return builder.Build();
    }

    /// <summary>Bound and validated; throws <see cref="InvalidSettingsException"/>, or an IO or format error for the file.</summary>
    public static ServerOptions Resolve(string? configFile, IEnumerable<SettingFlag> flags, IDictionary? environment = null) =>
        BerthSettings.Bind(Build(configFile, flags, environment));
}

/// <summary>A command-line flag that sets one key, e.g. <c>--tls-cert</c> → <c>tls:certificate</c>.</summary>
internal sealed record SettingFlag(string Flag, string Key, string? Value);

/// <summary>
/// <c>BERTH_*</c> variables: "__" separates sections as in ASP.NET Core (BERTH_AUTH__TOKEN_LIFETIME is auth:tokenLifetime;
/// underscores inside a name are ignored when matching), and the short names of the first releases (BERTH_DATA,
/// BERTH_TLS_CERT...) are aliases the schema resolves.
/// </summary>
internal sealed class EnvironmentLayer(IDictionary environment) : ConfigurationProvider, IConfigurationSource, ISettingsOrigin
{
    private const string Prefix = "BERTH_";
    private readonly Dictionary<string, string> _variables = new(StringComparer.OrdinalIgnoreCase);

    public override void Load()
    {
        foreach (DictionaryEntry entry in environment)
        {
            // Variable names are case-sensitive on Unix; Berth's are upper case.
            if (entry.Key is not string name || !name.StartsWith(Prefix, StringComparison.Ordinal) || name == BerthConfiguration.ConfigFileVariable) continue;
            var key = name[Prefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            Data[key] = entry.Value as string;
            _variables[key] = name;
        }
    }

    public string? Describe(string key) => _variables.GetValueOrDefault(key);

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;
}

internal sealed class FlagLayer(IReadOnlyList<SettingFlag> flags) : ConfigurationProvider, IConfigurationSource, ISettingsOrigin
{
    public override void Load()
    {
        foreach (var flag in flags) Data[flag.Key] = flag.Value;
    }

    public string? Describe(string key) => flags.LastOrDefault(f => string.Equals(f.Key, key, StringComparison.OrdinalIgnoreCase))?.Flag;

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;
}
