using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Herald.Redis;
using Microsoft.Extensions.Configuration;

namespace Herald.Cli.Configuration;

/// <summary>
/// The keys the <c>Herald</c> section may hold, read off the options types it binds to. Values are checked against it
/// before binding, so a mistake names its file (or variable) and key instead of surfacing as a binder error, and
/// durations get the flags' syntax: the binder alone refuses <c>5s</c> and reads <c>3</c> as three days.
/// </summary>
internal sealed class SettingsSchema(Type options, IReadOnlyDictionary<string, Type> extraKeys)
{
    /// <summary>
    /// The options types walked by reflection, kept whole in a trimmed or native build (their properties are looked up
    /// by name, and so are the properties' own types: <see cref="HeraldKey"/> in the key lists).
    /// </summary>
    private const DynamicallyAccessedMemberTypes Walked = DynamicallyAccessedMemberTypes.PublicProperties;

    /// <summary><c>herald serve</c>: <see cref="HeraldOptions"/>, plus the listen address and the Redis client section.</summary>
    public static SettingsSchema Serve { get; } = new(
        typeof(HeraldOptions),
        new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
        {
            [ServeSettings.ListenKey] = typeof(string),
            [ServeSettings.MetricsKey] = typeof(bool),
            [ServeSettings.MetricsListenKey] = typeof(string),
            [ServeSettings.TlsCertKey] = typeof(string),
            [ServeSettings.TlsKeyKey] = typeof(string),
            [ServeSettings.H2cListenKey] = typeof(string),
            [ServeSettings.RedisSection] = typeof(RedisStoreOptions),
        });

    /// <summary>
    /// Checks every value under <paramref name="section"/> (the whole configuration when null) and returns each
    /// duration rewritten in TimeSpan's own form, keyed by its full path, to lay over the configuration before binding.
    /// </summary>
    /// <param name="describe">Names a key (relative to the section) in an error: <c>herald.json: Herald:Heartbeat</c>.</param>
    /// <param name="unknownKeys">Refuse keys no option reads: right for files, not for an environment shared with other tools.</param>
    [DynamicDependency(Walked, typeof(HeraldOptions))]
    [DynamicDependency(Walked, typeof(HeraldKey))]
    [DynamicDependency(Walked, typeof(HeraldIssuer))]
    [DynamicDependency(Walked, typeof(RedisStoreOptions))]
    public Dictionary<string, string?> Check(IConfiguration configuration, string? section, Func<string, string> describe, bool unknownKeys)
    {
        var normalized = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var values = section is null ? configuration : configuration.GetSection(section);
        foreach (var (key, value) in values.AsEnumerable(makePathsRelative: true))
        {
            var type = Resolve(key.Split(ConfigurationPath.KeyDelimiter));
            if (type is null)
            {
                if (unknownKeys)
                {
                    throw new UsageException($"{describe(key)}: unknown setting");
                }

                continue;
            }

            if (value is null || !IsScalar(type))
            {
                continue;
            }

            if (type == typeof(TimeSpan))
            {
                if (!Duration.TryParse(value, out var duration, out var error))
                {
                    throw new UsageException($"{describe(key)}: {error}");
                }

                normalized[section is null ? key : ConfigurationPath.Combine(section, key)] = Duration.Format(duration);
            }
            else if (type != typeof(string) && !Converts(type, value))
            {
                throw new UsageException($"{describe(key)}: \"{value}\" is not {Describe(type)}");
            }
        }

        return normalized;
    }

    /// <summary>The (non-nullable) type a key binds to, or null when no option reads it.</summary>
    private Type? Resolve(string[] segments)
    {
        if (extraKeys.TryGetValue(segments[0], out var extra))
        {
            return Resolve(extra, segments.AsSpan(1));
        }

        return Resolve(options, segments);
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Only the options types above and their property types are walked; DynamicDependency keeps their properties.")]
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "As above: the walked types are kept.")]
    private static Type? Resolve(Type type, ReadOnlySpan<string> segments)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (IsScalar(type))
        {
            return segments.IsEmpty ? type : null;
        }

        if (segments.IsEmpty)
        {
            // A section given as a plain value, as an empty JSON list is.
            return type;
        }

        // A map (a bridge's Headers): any key, each value of the map's value type.
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return Resolve(type.GetGenericArguments()[1], segments[1..]);
        }

        if (ElementType(type) is { } element)
        {
            return int.TryParse(segments[0], NumberStyles.None, CultureInfo.InvariantCulture, out _) ? Resolve(element, segments[1..]) : null;
        }

        var property = type.GetProperty(segments[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is null ? null : Resolve(property.PropertyType, segments[1..]);
    }

    /// <summary>
    /// What the binder converts from one string: the scalar types the options use. Checked by hand, not by
    /// TypeDescriptor, whose converters a trimmed or native build does not keep.
    /// </summary>
    private static bool IsScalar(Type type) =>
        type == typeof(string) || type == typeof(TimeSpan) || type == typeof(bool) || type == typeof(int) || type == typeof(long)
        || type == typeof(double) || type == typeof(Uri) || type.IsEnum;

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type) ? type.GetGenericArguments()[0]
        : null;

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Enum.TryParse on an enum type the options declare: its fields are kept with it.")]
    private static bool Converts(Type type, string value)
    {
        var text = value.Trim();
        return type == typeof(bool) ? bool.TryParse(text, out _)
            : type == typeof(int) ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : type == typeof(long) ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            : type == typeof(double) ? double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out _)
            : type == typeof(Uri) ? Uri.TryCreate(value, UriKind.RelativeOrAbsolute, out _)
            : type.IsEnum ? Enum.TryParse(type, text, ignoreCase: true, out _)
            : true;
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "true or false"
        : type == typeof(int) || type == typeof(long) ? "a whole number"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type))
        : "a " + type.Name;
}
