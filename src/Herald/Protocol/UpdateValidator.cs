namespace Herald.Protocol;

/// <summary>The checks every update passes before it is stored, whether published over HTTP or in-process.</summary>
internal static class UpdateValidator
{
    /// <summary>
    /// 2,147,483,647 ms (24.8 days): JavaScript timers fire at once above it (a client would reconnect immediately,
    /// not later), and .NET's SSE parser drops a retry beyond TimeSpan's range.
    /// </summary>
    public const long MaxRetry = int.MaxValue;

    /// <summary>Returns null when the update may be stored, else the refusal to send.</summary>
    public static HeraldError? Validate(Update update, int maxTopics, int maxTopicLength)
    {
        if (update.Topics.Count == 0)
        {
            return HeraldError.Invalid("missing \"topic\": an update needs at least one topic");
        }

        // Limits are 413s, as the Mercure 1.0 draft says of every publish limit (body size and field lengths).
        if (update.Topics.Count > maxTopics)
        {
            return new HeraldError(ErrorKind.TooLarge, $"too many topics: {update.Topics.Count} (at most {maxTopics}, MaxTopics)");
        }

        foreach (var topic in update.Topics)
        {
            if (topic.Length == 0)
            {
                return HeraldError.Invalid("empty \"topic\"");
            }

            if (topic.Length > maxTopicLength)
            {
                return new HeraldError(ErrorKind.TooLarge, $"a topic of {topic.Length} characters is longer than the hub's limit of {maxTopicLength} (MaxTopicLength)");
            }

            if (topic.Contains('\0'))
            {
                return HeraldError.Invalid("\"topic\" must not contain NUL");
            }

            // Both dialects: C0, DEL and C1 could inject SSE fields or hide in logs (draft-08, "Terminology").
            if (IndexOfControl(topic) is >= 0 and var control)
            {
                return HeraldError.Invalid($"\"topic\" must not contain control characters: U+{(int)topic[control]:X4} at index {control}");
            }

            if (topic == TopicSelector.Wildcard)
            {
                return HeraldError.Invalid("topic \"*\" is the reserved wildcard: no subscriber could select it alone; name the topic");
            }

            if (NotUnicode("topic", topic) is { } badTopic)
            {
                return badTopic;
            }

            if (Matchers.HubNamespace.IsReserved(topic))
            {
                return HeraldError.Forbidden($"topic \"{ReasonText.Quote(topic)}\" is reserved: topics whose path is {Matchers.HubNamespace.Path} or below belong to the hub");
            }
        }

        if (update.Id is { } id)
        {
            if (id.Length == 0)
            {
                return HeraldError.Invalid("empty \"id\"");
            }

            if (HasLineBreakOrNul(id))
            {
                return HeraldError.Invalid("\"id\" must not contain CR, LF or NUL");
            }

            if (id[0] == '#')
            {
                return HeraldError.Invalid("\"id\" must not start with '#'");
            }

            if (id == ResumeCursor.EarliestId)
            {
                return HeraldError.Invalid("\"id\" must not be \"earliest\", which is reserved");
            }

            if (id.StartsWith(ResumeCursor.HubCursorPrefix, StringComparison.Ordinal))
            {
                return HeraldError.Invalid($"\"id\" must not start with \"{ResumeCursor.HubCursorPrefix}\", which marks the hub's resume cursors");
            }
        }

        if (update.Type is { } type && HasLineBreakOrNul(type))
        {
            return HeraldError.Invalid("\"type\" must not contain CR, LF or NUL");
        }

        if (update.Type is { } hubType && IsHubEventType(hubType))
        {
            return HeraldError.Invalid($"\"type\" \"{ReasonText.Quote(hubType)}\" is reserved for events the hub itself sends (\"{MercureEventType}\" and \"{HubEventTypePrefix}…\"): pick another event type");
        }

        // Mercure 1.0 draft: no control or format characters in ids and types (ids are IRIs: other non-ASCII is fine).
        if (FieldCharacters.DescribeForbidden(update.Id) is { } badId)
        {
            return HeraldError.Invalid($"\"id\" must not contain control or format characters: {badId}");
        }

        if (FieldCharacters.DescribeForbidden(update.Type) is { } badType)
        {
            return HeraldError.Invalid($"\"type\" must not contain control or format characters: {badType}");
        }

        if ((NotUnicode("id", update.Id) ?? NotUnicode("type", update.Type) ?? NotUnicode("data", update.Data)) is { } notUnicode)
        {
            return notUnicode;
        }

        if (update.Retry is < 0)
        {
            return HeraldError.Invalid("\"retry\" must be a non-negative number of milliseconds");
        }

        if (update.Retry > MaxRetry)
        {
            return HeraldError.Invalid($"\"retry\" must be at most {MaxRetry} milliseconds (24.8 days): clients cannot wait longer");
        }

        return null;
    }

    /// <summary>The event type Mercure reserves for the hub's own events; a publisher could forge them with it.</summary>
    public const string MercureEventType = "mercure";

    /// <summary>Starts the event types of Herald's own notices (<c>herald.token-expiring</c>, <c>herald.retained-cut</c>).</summary>
    public const string HubEventTypePrefix = "herald.";

    /// <summary>True for an event type the hub sends itself, which clients act on: no publisher may send one.</summary>
    public static bool IsHubEventType(string type) =>
        type == MercureEventType || type.StartsWith(HubEventTypePrefix, StringComparison.Ordinal);

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

    /// <summary>
    /// A lone surrogate (a string cut inside a surrogate pair) cannot travel as UTF-8: subscribers would get U+FFFD
    /// and a UTF-8 store a copy that no longer equals the update. Only in-process publishers can send one.
    /// </summary>
    private static HeraldError? NotUnicode(string field, string? value)
    {
        var text = value.AsSpan();
        var i = text.IndexOfAnyInRange('\ud800', '\udfff');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(text[i]) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
            {
                return HeraldError.Invalid($"\"{field}\" is not valid Unicode: a lone surrogate at character {i} (a string cut inside a surrogate pair?)");
            }

            var next = text[(i + 2)..].IndexOfAnyInRange('\ud800', '\udfff');
            i = next < 0 ? -1 : i + 2 + next;
        }

        return null;
    }

    private static int IndexOfControl(string value)
    {
        var span = value.AsSpan();
        var c0 = span.IndexOfAnyInRange('\u0000', '\u001F');
        var delC1 = span.IndexOfAnyInRange('\u007F', '\u009F');
        return c0 < 0 ? delC1 : delC1 < 0 ? c0 : Math.Min(c0, delC1);
    }

    private static bool HasLineBreakOrNul(string value) => value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0;
}
