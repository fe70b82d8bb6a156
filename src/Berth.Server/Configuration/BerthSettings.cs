using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Berth.Registry;
using Berth.Server.Hosting;
using Microsoft.Extensions.Configuration;

namespace Berth.Server.Configuration;

/// <summary>
/// Berth's settings, bound from any <see cref="IConfiguration"/> and validated once, before anything is opened.
/// The top level holds the properties of <see cref="ServerOptions"/> and <see cref="RegistryOptions"/> side by side
/// (listen, auth, tls, rateLimits, dataDirectory, policies, metadata, storage...); every record below is bound
/// property by property, so a property added to an options record is a setting with no other change.
/// </summary>
public static class BerthSettings
{
    public static SettingsSchema Schema { get; } = new(
        [typeof(ServerOptions), typeof(RegistryOptions)],
        // Set by the code that hosts Berth, never by configuration.
        [typeof(ServerOptions).GetProperty(nameof(ServerOptions.Registry))!, typeof(ServerOptions).GetProperty(nameof(ServerOptions.LoggerProviders))!,
            typeof(ServerOptions).GetProperty(nameof(ServerOptions.AccessLogOutput))!],
        new Dictionary<string, string>
        {
            // The short names of the first releases, still accepted in every layer (BERTH_DATA, "gcInterval", ...).
            ["data"] = "dataDirectory",
            ["gcInterval"] = "garbageCollectionInterval",
            ["gcGracePeriod"] = "garbageCollectionGracePeriod",
            ["htpasswd"] = "auth:htpasswd",
            ["authService"] = "auth:service",
            ["authRealm"] = "auth:realm",
            ["tlsCert"] = "tls:certificate",
            ["tlsKey"] = "tls:key",
            ["rateLimitPerClient"] = "rateLimits:perClient:requestsPerSecond",
            ["rateLimitGlobal"] = "rateLimits:global:requestsPerSecond",
        });

    /// <summary>Binds and validates; throws <see cref="InvalidSettingsException"/> listing every problem found.</summary>
    public static ServerOptions Bind(IConfiguration configuration)
    {
        var problems = new List<string>();
        var canonical = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var origins = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value, origin) in Leaves(configuration))
        {
            if (Schema.Resolve(key) is not { } resolved)
            {
                problems.Add($"{origin}: no such setting");
                continue;
            }
            if (CheckValue(resolved, value) is { } problem)
            {
                problems.Add($"{origin}: {problem}");
                continue;
            }
            canonical[resolved.Key] = value;
            origins[resolved.Key] = origin;
        }
        if (problems.Count > 0) throw new InvalidSettingsException(problems);

        var settings = new ConfigurationBuilder().AddInMemoryCollection(canonical).Build();
        ServerOptions options;
        try
        {
            options = (settings.Get<ServerOptions>() ?? new ServerOptions()) with { Registry = settings.Get<RegistryOptions>() ?? new RegistryOptions() };
        }
        catch (InvalidOperationException)
        {
            // Values were checked above; the binder's own message could quote a secret, so it is not passed on.
            throw new InvalidSettingsException(["the settings could not be bound to the options records"]);
        }

        Validate(options, options.Registry, origins, problems);
        if (problems.Count > 0) throw new InvalidSettingsException(problems);
        return options;
    }

    /// <summary>Checks the options as a whole (an embedding application may build them in code); throws like <see cref="Bind"/>.</summary>
    public static void Validate(ServerOptions options)
    {
        var problems = new List<string>();
        Validate(options, options.Registry, new Dictionary<string, string>(), problems);
        if (problems.Count > 0) throw new InvalidSettingsException(problems);
    }

    private static void Validate(ServerOptions options, RegistryOptions registry, IReadOnlyDictionary<string, string> origins, List<string> problems)
    {
        try
        {
            RegistryServer.ParseListen(options.Listen);
        }
        catch (FormatException e)
        {
            problems.Add($"{Describe("listen", origins)}: {e.Message}");
        }
        // A top-level number: the DataAnnotations below only reach the records.
        if (options.AccessLogQueueCapacity < 1) problems.Add($"{Describe("accessLogQueueCapacity", origins)}: must be at least 1");
        foreach (var root in Schema.Roots)
        {
            var owner = root.DeclaringType == typeof(RegistryOptions) ? (object)registry : options;
            ValidateGraph(root.GetValue(owner), SettingsSchema.CamelCase(root.Name), origins, problems);
        }
    }

    // DataAnnotations and IValidatableObject on every record of the graph; member names become keys below the record's.
    private static void ValidateGraph(object? value, string key, IReadOnlyDictionary<string, string> origins, List<string> problems)
    {
        if (value is null || value is string || value.GetType().IsValueType) return;
        if (value is IDictionary dictionary)
        {
            foreach (DictionaryEntry entry in dictionary) ValidateGraph(entry.Value, $"{key}:{entry.Key}", origins, problems);
            return;
        }
        if (value is IEnumerable list)
        {
            var index = 0;
            foreach (var item in list) ValidateGraph(item, $"{key}:{index++}", origins, problems);
            return;
        }
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
        foreach (var result in results)
        {
            var members = result.MemberNames.Select(m => $"{key}:{SettingsSchema.CamelCase(m)}").DefaultIfEmpty(key);
            problems.Add($"{string.Join(", ", members.Select(m => Describe(m, origins)))}: {result.ErrorMessage}");
        }
        foreach (var property in SettingsSchema.Settable(value.GetType()))
        {
            if (SettingsSchema.ShapeOf(property.PropertyType).Kind == TypeKind.Scalar) continue;
            ValidateGraph(property.GetValue(value), $"{key}:{SettingsSchema.CamelCase(property.Name)}", origins, problems);
        }
    }

    private static string Describe(string key, IReadOnlyDictionary<string, string> origins) =>
        origins.TryGetValue(key, out var origin) ? origin : $"{key} ({SettingsSchema.VariableFor(key)})";

    private static string? CheckValue(ResolvedKey resolved, string? value)
    {
        var shape = SettingsSchema.ShapeOf(resolved.Type);
        if (shape.Kind != TypeKind.Scalar)
        {
            return string.IsNullOrEmpty(value) ? null : $"is a section, not a value: set the keys inside it ({resolved.Key}:...)";
        }
        var type = Nullable.GetUnderlyingType(resolved.Type) ?? resolved.Type;
        if (type == typeof(string) || value is null) return null;
        if (value.Length == 0 && Nullable.GetUnderlyingType(resolved.Type) is not null) return null;
        var shown = SettingsSchema.IsSecret(resolved.Property) ? "" : $", not '{value}'";
        try
        {
            var converted = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            if (type.IsEnum && !Enum.IsDefined(type, converted!)) return $"must be {Expected(type)}{shown}";
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException
                                      || e.InnerException is FormatException or OverflowException)
        {
            return $"must be {Expected(type)}{shown}";
        }
    }

    private static string Expected(Type type) => type switch
    {
        _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(TimeSpan) => "a duration such as 00:05:00 (hh:mm:ss) or 30.00:00:00 (days)",
        _ when type == typeof(int) || type == typeof(long) => "a whole number",
        _ => $"a {type.Name}",
    };

    /// <summary>Every value with its key and where it was written, in precedence order (later layers win).</summary>
    private static IEnumerable<(string Key, string? Value, string Origin)> Leaves(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root)
        {
            var prefix = configuration is IConfigurationSection section ? section.Path + ":" : "";
            foreach (var (key, value) in configuration.AsEnumerable(makePathsRelative: true))
            {
                if (value is not null) yield return (key, value, $"'{prefix}{key}'");
            }
            yield break;
        }
        foreach (var provider in root.Providers)
        {
            foreach (var key in ProviderKeys(provider, null))
            {
                if (!provider.TryGet(key, out var value) || value is null) continue;
                var origin = provider switch
                {
                    ISettingsOrigin described => described.Describe(key),
                    FileConfigurationProvider file => $"'{key}' in {file.Source.FileProvider?.GetFileInfo(file.Source.Path ?? "").PhysicalPath ?? file.Source.Path}",
                    _ => null,
                };
                yield return (key, value, origin ?? $"'{key}'");
            }
        }
    }

    private static IEnumerable<string> ProviderKeys(IConfigurationProvider provider, string? parent)
    {
        foreach (var child in provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var path = parent is null ? child : parent + ":" + child;
            yield return path;
            foreach (var descendant in ProviderKeys(provider, path)) yield return descendant;
        }
    }

}
