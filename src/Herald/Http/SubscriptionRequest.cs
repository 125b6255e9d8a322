using Herald.Protocol;
using Microsoft.AspNetCore.Http;

namespace Herald.Http;

/// <summary>What the SSE and long-poll endpoints read alike from a subscribe request: topic selectors and the resume point.</summary>
internal static class SubscriptionRequest
{
    public const string LastEventIdHeader = "Last-Event-ID";
    public const string LastEventIdQuery = "lastEventID";

    /// <summary>The compiled selectors of the <c>topic</c> parameters, or a 400 when there are none or too many.</summary>
    public static (TopicSelector[]? Selectors, HeraldError? Error) ReadSelectors(HttpRequest request, TopicSelectorStore store, int maxTopics)
    {
        var topics = request.Query["topic"];
        if (topics.Count == 0)
        {
            return (null, HeraldError.BadRequest("missing \"topic\" query parameter: name at least one topic selector"));
        }

        if (topics.Count > maxTopics)
        {
            return (null, HeraldError.BadRequest($"too many topic selectors: {topics.Count} (at most {maxTopics})"));
        }

        var selectors = new TopicSelector[topics.Count];
        for (var i = 0; i < selectors.Length; i++)
        {
            selectors[i] = store.Get(topics[i] ?? "");
        }

        return (selectors, null);
    }

    /// <summary>The <c>Last-Event-ID</c> header, else the <c>lastEventID</c> query parameter (for clients that cannot set headers).</summary>
    public static string? LastEventId(HttpRequest request)
    {
        var header = request.Headers[LastEventIdHeader];
        if (header.Count > 0 && !string.IsNullOrEmpty(header[0]))
        {
            return header[0];
        }

        var query = request.Query[LastEventIdQuery];
        return query.Count > 0 && !string.IsNullOrEmpty(query[0]) ? query[0] : null;
    }
}
