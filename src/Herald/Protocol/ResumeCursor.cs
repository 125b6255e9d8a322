using System.Globalization;

namespace Herald.Protocol;

/// <summary>
/// Where a client asks to resume, as sent in <c>Last-Event-ID</c>, <c>lastEventID</c> or a poll's cursor: the id of an
/// update it may see, <c>earliest</c> (everything retained), or an opaque hub cursor — a store position tagged with the
/// store's generation, which the hub hands out where the last id would be one the caller may not see. A hub cursor
/// reveals only a count of updates: no id, no topic, no content.
/// </summary>
internal readonly record struct ResumeCursor
{
    /// <summary>The Mercure reserved id meaning "everything retained"; an update may not carry it.</summary>
    public const string EarliestId = "earliest";

    /// <summary>Starts every hub cursor; refused as a publish id, so no update id can pass for a cursor.</summary>
    public const string HubCursorPrefix = "herald-cursor:";

    private ResumeCursor(ResumeCursorKind kind, string? id, string? generation, long position)
    {
        Kind = kind;
        Id = id;
        Generation = generation;
        Position = position;
    }

    public ResumeCursorKind Kind { get; }

    /// <summary>The update id, for <see cref="ResumeCursorKind.Id"/>.</summary>
    public string? Id { get; }

    /// <summary>The store generation the position belongs to, for <see cref="ResumeCursorKind.Position"/>.</summary>
    public string? Generation { get; }

    /// <summary>The position read up to, for <see cref="ResumeCursorKind.Position"/>.</summary>
    public long Position { get; }

    public static ResumeCursor Earliest { get; } = new(ResumeCursorKind.Earliest, null, null, 0);

    /// <summary>A value no update id can be now: resumes as an unknown id, without a lookup.</summary>
    public static ResumeCursor Unknown { get; } = new(ResumeCursorKind.Unknown, null, null, 0);

    /// <summary>
    /// Reads what a client sent. A value with the hub cursor prefix that does not parse is an id no update can carry,
    /// so it resumes like any unknown id.
    /// </summary>
    public static ResumeCursor Parse(string value)
    {
        // Ids stored before control and format characters were refused may hold them; never look one up (echoed into a
        // response header, Kestrel would refuse it with a 500).
        if (!FieldCharacters.IsAllowed(value))
        {
            return Unknown;
        }

        if (value == EarliestId)
        {
            return Earliest;
        }

        if (value.StartsWith(HubCursorPrefix, StringComparison.Ordinal))
        {
            var rest = value.AsSpan(HubCursorPrefix.Length);
            var dot = rest.IndexOf('.');
            if (dot > 0
                && IsGeneration(rest[..dot])
                && rest.Length - dot - 1 is > 0 and <= 18
                && long.TryParse(rest[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var position))
            {
                return new ResumeCursor(ResumeCursorKind.Position, null, rest[..dot].ToString(), position);
            }
        }

        return new ResumeCursor(ResumeCursorKind.Id, value, null, 0);
    }

    /// <summary>The cursor a client resumes from to read after <paramref name="position"/> of <paramref name="generation"/>.</summary>
    public static string Format(string generation, long position) =>
        string.Create(CultureInfo.InvariantCulture, $"{HubCursorPrefix}{generation}.{position}");

    private static bool IsGeneration(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return value.Length <= 64;
    }
}

internal enum ResumeCursorKind
{
    /// <summary>An update id: resume after it when the caller may see it.</summary>
    Id,

    /// <summary><c>earliest</c>: everything retained.</summary>
    Earliest,

    /// <summary>A hub cursor: a position in a store generation.</summary>
    Position,

    /// <summary>Cannot name any update (control or format characters): resumes as an unknown id.</summary>
    Unknown,
}
