using Microsoft.AspNetCore.Http;

namespace Herald.Protocol;

/// <summary>The checks every update passes before it is stored, whether published over HTTP or in-process.</summary>
internal static class UpdateValidator
{
    /// <summary>The Mercure reserved id meaning "everything retained"; an update may not carry it.</summary>
    public const string EarliestId = "earliest";

    private const string HubPathSegment = "/.well-known/mercure";

    /// <summary>Returns null when the update may be stored, else the refusal to send.</summary>
    public static HeraldError? Validate(Update update, int maxTopics)
    {
        if (update.Topics.Count == 0)
        {
            return HeraldError.BadRequest("missing \"topic\": an update needs at least one topic");
        }

        if (update.Topics.Count > maxTopics)
        {
            return HeraldError.BadRequest($"too many topics: {update.Topics.Count} (at most {maxTopics})");
        }

        foreach (var topic in update.Topics)
        {
            if (topic.Length == 0)
            {
                return HeraldError.BadRequest("empty \"topic\"");
            }

            if (topic.Contains('\0'))
            {
                return HeraldError.BadRequest("\"topic\" must not contain NUL");
            }

            if (TargetsHub(topic))
            {
                return new HeraldError(StatusCodes.Status403Forbidden, $"topic \"{topic}\" is reserved: topics containing {HubPathSegment} belong to the hub");
            }
        }

        if (update.Id is { } id)
        {
            if (id.Length == 0)
            {
                return HeraldError.BadRequest("empty \"id\"");
            }

            if (HasLineBreakOrNul(id))
            {
                return HeraldError.BadRequest("\"id\" must not contain CR, LF or NUL");
            }

            if (id[0] == '#')
            {
                return HeraldError.BadRequest("\"id\" must not start with '#'");
            }

            if (id == EarliestId)
            {
                return HeraldError.BadRequest("\"id\" must not be \"earliest\", which is reserved");
            }
        }

        if (update.Type is { } type && HasLineBreakOrNul(type))
        {
            return HeraldError.BadRequest("\"type\" must not contain CR, LF or NUL");
        }

        // Mercure 1.0 draft: no control or format characters in ids and types (ids are IRIs: other non-ASCII is fine).
        if (FieldCharacters.DescribeForbidden(update.Id) is { } badId)
        {
            return HeraldError.BadRequest($"\"id\" must not contain control or format characters: {badId}");
        }

        if (FieldCharacters.DescribeForbidden(update.Type) is { } badType)
        {
            return HeraldError.BadRequest($"\"type\" must not contain control or format characters: {badType}");
        }

        if (update.Retry is < 0)
        {
            return HeraldError.BadRequest("\"retry\" must be a non-negative number of milliseconds");
        }

        return null;
    }

    /// <summary>Parses <c>retry</c>: ASCII digits only, as SSE requires.</summary>
    public static bool TryParseRetry(string value, out long retry)
    {
        retry = 0;
        if (value.Length is 0 or > 18)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            retry = (retry * 10) + (c - '0');
        }

        return true;
    }

    private static bool HasLineBreakOrNul(string value) => value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0;

    private static bool TargetsHub(string topic)
    {
        if (topic.Contains(HubPathSegment, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // One level of percent-decoding catches "%2F.well-known%2Fmercure" style disguises.
        return topic.Contains('%') && Uri.UnescapeDataString(topic).Contains(HubPathSegment, StringComparison.OrdinalIgnoreCase);
    }
}
