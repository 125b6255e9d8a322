using System.Text;
using System.Text.Json;
using Herald.Protocol;
using Herald.Protocol.Matchers;
using Herald.Protocol.UrlPatterns;

namespace Herald.Auth;

/// <summary>
/// Reads a 1.0 access token's <c>authorization_details</c> (RFC 9396) into <see cref="AccessGrants"/>. A detail of the
/// Mercure type has <c>actions</c> (a non-empty subset of publish and subscribe), <c>topics</c> (a non-empty array of
/// <c>{ "match": …, "match_type": "Exact" | "URLPattern" }</c>) and an optional object <c>payload</c>. Any malformed
/// Mercure detail, unknown matcher type or limit overrun refuses the whole token: acting on the rest would silently
/// change what it grants. Details of other types are for other resource servers and are skipped.
/// </summary>
internal static class AuthorizationDetails
{
    public const string Claim = "authorization_details";

    /// <summary>The detail type this hub reads (the product decision) ...</summary>
    public const string Type = "https://mercure.rocks/authorization-detail";

    /// <summary>... and the stored draft-08's spelling, accepted too since draft clients send it.</summary>
    public const string DraftType = "mercure";

    /// <summary>100 Mercure details per token: real tokens carry one to a few.</summary>
    public const int MaxDetails = 100;

    /// <summary>100 URL patterns per token, as per subscription: each one costs a compile (0.2–5 ms) when the token is first seen.</summary>
    public const int MaxUrlPatterns = SubscribeMatchers.MaxMatchers;

    /// <summary>Null error and grants (possibly <see cref="AccessGrants.None"/>), or the one-line reason the token is refused.</summary>
    public static (AccessGrants? Grants, string? Error) Read(JsonElement payload, string hubUrl, int maxMatchers)
    {
        if (!payload.TryGetProperty(Claim, out var details))
        {
            return (AccessGrants.None, null);
        }

        if (details.ValueKind != JsonValueKind.Array)
        {
            return Fail("the token's authorization_details must be an array (RFC 9396)");
        }

        var publish = new MatcherSet.Builder();
        var subscribe = new MatcherSet.Builder();
        var subscribeDetails = new List<(MatcherSet, JsonElement?)>();
        int index = -1, mercureDetails = 0, matchers = 0, patterns = 0;
        foreach (var detail in details.EnumerateArray())
        {
            index++;
            if (detail.ValueKind != JsonValueKind.Object)
            {
                return Fail($"authorization_details[{index}] is not an object");
            }

            if (!detail.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                return Fail($"authorization_details[{index}] has no string \"type\" (RFC 9396)");
            }

            if (type.GetString() is not (Type or DraftType))
            {
                continue;
            }

            if (++mercureDetails > MaxDetails)
            {
                return Fail($"the token has more than {MaxDetails} Mercure authorization details");
            }

            var (canPublish, canSubscribe, actionError) = ReadActions(detail, index);
            if (actionError is not null)
            {
                return Fail(actionError);
            }

            if (!detail.TryGetProperty("topics", out var topics) || topics.ValueKind != JsonValueKind.Array || topics.GetArrayLength() == 0)
            {
                return Fail($"authorization_details[{index}].topics must be a non-empty array of topic matchers");
            }

            JsonElement? detailPayload = null;
            if (detail.TryGetProperty("payload", out var p))
            {
                if (p.ValueKind != JsonValueKind.Object)
                {
                    return Fail($"authorization_details[{index}].payload must be a JSON object");
                }

                detailPayload = p.Clone();
            }

            var own = new MatcherSet.Builder();
            var position = -1;
            foreach (var entry in topics.EnumerateArray())
            {
                position++;
                if (++matchers > maxMatchers)
                {
                    return Fail($"the token's authorization details have more than {maxMatchers} topic matchers");
                }

                var (matcher, matcherError) = ReadMatcher(entry, $"authorization_details[{index}].topics[{position}]", hubUrl);
                if (matcher is null)
                {
                    return Fail(matcherError!);
                }

                if (matcher.Type == MatcherType.UrlPattern && !matcher.IsWildcard && ++patterns > MaxUrlPatterns)
                {
                    return Fail($"the token's authorization details have more than {MaxUrlPatterns} URL patterns");
                }

                own.Add(matcher);
                if (canPublish)
                {
                    publish.Add(matcher);
                }

                if (canSubscribe)
                {
                    subscribe.Add(matcher);
                }
            }

            if (canSubscribe)
            {
                subscribeDetails.Add((own.Build(), detailPayload));
            }
        }

        return (new AccessGrants(publish.Build(), subscribe.Build(), subscribeDetails, hubUrl), null);
    }

    private static (bool Publish, bool Subscribe, string? Error) ReadActions(JsonElement detail, int index)
    {
        if (!detail.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() == 0)
        {
            return (false, false, $"authorization_details[{index}].actions must be a non-empty array of \"publish\" and \"subscribe\"");
        }

        bool publish = false, subscribe = false;
        foreach (var action in actions.EnumerateArray())
        {
            switch (action.ValueKind == JsonValueKind.String ? action.GetString() : null)
            {
                case "publish":
                    publish = true;
                    break;
                case "subscribe":
                    subscribe = true;
                    break;
                default:
                    return (false, false, $"authorization_details[{index}].actions may contain only \"publish\" and \"subscribe\"");
            }
        }

        return (publish, subscribe, null);
    }

    private static (TopicMatcher? Matcher, string? Error) ReadMatcher(JsonElement entry, string where, string hubUrl)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{where} is not a topic matcher object");
        }

        if (!entry.TryGetProperty("match", out var match) || match.ValueKind != JsonValueKind.String)
        {
            return (null, $"{where} has no string \"match\"");
        }

        var value = match.GetString()!;
        if (value.Length == 0)
        {
            return (null, $"{where}.match is empty");
        }

        if (Encoding.UTF8.GetByteCount(value) > SubscribeMatchers.MaxMatcherBytes)
        {
            return (null, $"{where}.match is longer than {SubscribeMatchers.MaxMatcherBytes} bytes");
        }

        if (FieldCharacters.DescribeForbidden(value) is { } forbidden)
        {
            return (null, $"{where}.match must not contain control or format characters: {forbidden}");
        }

        // match_type is the spelling, matchType the draft's: both read, but not both at once (which one wins would be a guess).
        var hasSnake = entry.TryGetProperty("match_type", out var snake);
        var hasCamel = entry.TryGetProperty("matchType", out var camel);
        if (hasSnake && hasCamel)
        {
            return (null, $"{where} has both match_type and matchType");
        }

        MatcherType type;
        if (!hasSnake && !hasCamel)
        {
            type = MatcherType.Exact;
        }
        else
        {
            var typeValue = hasSnake ? snake : camel;
            switch (typeValue.ValueKind == JsonValueKind.String ? typeValue.GetString() : null)
            {
                case "Exact" or "exact":
                    type = MatcherType.Exact;
                    break;
                case "URLPattern" or "urlpattern":
                    type = MatcherType.UrlPattern;
                    break;
                default:
                    return (null, $"{where} has an unknown matcher type (use \"Exact\" or \"URLPattern\")");
            }
        }

        try
        {
            return (type == MatcherType.Exact || value == TopicMatcher.Wildcard
                ? TopicMatcher.Create(type, value, hubUrl)
                : SubscribeMatchers.CompiledPattern(value, hubUrl), null);
        }
        catch (UrlPatternException e)
        {
            return (null, $"{where}.match is not a valid URL pattern: {e.Message}");
        }
    }

    private static (AccessGrants?, string?) Fail(string reason) => (null, reason);
}
