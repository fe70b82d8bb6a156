using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Text;

namespace Berth.Server.Configuration;

/// <summary>
/// The shape of Berth's settings, read off the options records by reflection, so a property added to a record is a
/// setting at once: in the config file, as a <c>BERTH_</c> variable and in the README's table. Resolves a key as written
/// in any layer ("auth:token_lifetime", "AUTH:TOKENLIFETIME", the alias "gcInterval") to its one canonical key.
/// </summary>
public sealed class SettingsSchema
{
    private readonly IReadOnlyList<PropertyInfo> _roots;
    private readonly IReadOnlyDictionary<string, string> _aliases;

    public SettingsSchema(IEnumerable<Type> rootTypes, IEnumerable<PropertyInfo> excluded, IReadOnlyDictionary<string, string> aliases)
    {
        var skip = excluded.ToHashSet();
        _roots = rootTypes.SelectMany(Settable).Where(p => !skip.Contains(p)).ToList();
        _aliases = aliases.ToDictionary(a => Normalize(a.Key), a => a.Value, StringComparer.Ordinal);
    }

    /// <summary>The properties at the top level of the settings.</summary>
    public IReadOnlyList<PropertyInfo> Roots => _roots;

    /// <summary>
    /// The canonical key (camelCase property names, dictionary keys and list indexes as written) and the type it holds;
    /// null when no setting has that key. Property names match ignoring case and underscores.
    /// </summary>
    public ResolvedKey? Resolve(string key)
    {
        var segments = key.Split(ConfigurationPathSeparator);
        if (MatchProperty(_roots, segments[0]) is null && _aliases.TryGetValue(Normalize(segments[0]), out var target))
        {
            segments = [.. target.Split(ConfigurationPathSeparator), .. segments[1..]];
        }

        var path = new List<string>();
        var properties = _roots;
        Type? current = null;
        PropertyInfo? leaf = null;
        foreach (var segment in segments)
        {
            if (current is null)
            {
                leaf = MatchProperty(properties, segment);
                if (leaf is null) return null;
                path.Add(CamelCase(leaf.Name));
                current = leaf.PropertyType;
                continue;
            }
            var shape = ShapeOf(current);
            switch (shape.Kind)
            {
                case TypeKind.Scalar:
                    return null;
                case TypeKind.Dictionary:
                    path.Add(segment);
                    current = shape.ElementType!;
                    break;
                case TypeKind.List:
                    if (!int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)) return null;
                    path.Add(segment);
                    current = shape.ElementType!;
                    break;
                default:
                    leaf = MatchProperty(Settable(current), segment);
                    if (leaf is null) return null;
                    path.Add(CamelCase(leaf.Name));
                    current = leaf.PropertyType;
                    break;
            }
        }
        return new ResolvedKey(string.Join(ConfigurationPathSeparator, path), current!, leaf!);
    }

    /// <summary>Every setting that holds a value, "{n}" standing for a list index and "{name}" for a dictionary key.</summary>
    public IEnumerable<ResolvedKey> AllSettings() => _roots.SelectMany(root => Expand(CamelCase(root.Name), root.PropertyType, root));

    private static IEnumerable<ResolvedKey> Expand(string key, Type type, PropertyInfo property)
    {
        var shape = ShapeOf(type);
        return shape.Kind switch
        {
            TypeKind.Scalar => [new ResolvedKey(key, type, property)],
            TypeKind.List => Expand(key + ":{n}", shape.ElementType!, property),
            TypeKind.Dictionary => Expand(key + ":{name}", shape.ElementType!, property),
            _ => Settable(Nullable.GetUnderlyingType(type) ?? type).SelectMany(p => Expand($"{key}:{CamelCase(p.Name)}", p.PropertyType, p)),
        };
    }

    /// <summary>"auth:tokenLifetime" → "BERTH_AUTH__TOKEN_LIFETIME".</summary>
    public static string VariableFor(string canonicalKey, string prefix = "BERTH_")
    {
        var name = new StringBuilder(prefix);
        foreach (var (segment, index) in canonicalKey.Split(ConfigurationPathSeparator).Select((s, i) => (s, i)))
        {
            if (index > 0) name.Append("__");
            for (var i = 0; i < segment.Length; i++)
            {
                if (i > 0 && char.IsUpper(segment[i]) && char.IsLower(segment[i - 1])) name.Append('_');
                name.Append(char.ToUpperInvariant(segment[i]));
            }
        }
        return name.ToString();
    }

    public const char ConfigurationPathSeparator = ':';

    public static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    /// <summary>Whether a value of this property must never be shown: passwords, secret keys, connection strings.</summary>
    public static bool IsSecret(PropertyInfo property) =>
        property.GetCustomAttribute<PasswordPropertyTextAttribute>() is { Password: true };

    internal static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0);

    internal static TypeShape ShapeOf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(DateTimeOffset) || type == typeof(Uri) || type == typeof(Guid))
        {
            return new TypeShape(TypeKind.Scalar, null);
        }
        // Any other type written as one string (it has a converter from string, as the binder needs).
        if (!typeof(IEnumerable).IsAssignableFrom(type) && TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string)))
        {
            return new TypeShape(TypeKind.Scalar, null);
        }
        if (type.IsArray) return new TypeShape(TypeKind.List, type.GetElementType());
        var interfaces = type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces();
        foreach (var candidate in interfaces.Where(i => i.IsGenericType))
        {
            var definition = candidate.GetGenericTypeDefinition();
            if ((definition == typeof(IReadOnlyDictionary<,>) || definition == typeof(IDictionary<,>)) && candidate.GetGenericArguments()[0] == typeof(string))
            {
                return new TypeShape(TypeKind.Dictionary, candidate.GetGenericArguments()[1]);
            }
        }
        foreach (var candidate in interfaces.Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
        {
            return new TypeShape(TypeKind.List, candidate.GetGenericArguments()[0]);
        }
        return typeof(IEnumerable).IsAssignableFrom(type) ? new TypeShape(TypeKind.Scalar, null) : new TypeShape(TypeKind.Object, null);
    }

    private static PropertyInfo? MatchProperty(IEnumerable<PropertyInfo> properties, string segment)
    {
        var wanted = Normalize(segment);
        return properties.FirstOrDefault(p => Normalize(p.Name) == wanted);
    }

    // Environment variables are written in SNAKE_CASE: "TOKEN_LIFETIME" names TokenLifetime.
    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
}

public sealed record ResolvedKey(string Key, Type Type, PropertyInfo Property);

internal enum TypeKind
{
    Scalar,
    Object,
    List,
    Dictionary,
}

internal sealed record TypeShape(TypeKind Kind, Type? ElementType);
