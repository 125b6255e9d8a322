using System.Text.Json;
using Herald.Protocol;

namespace Herald.Auth;

/// <summary>What a validated token grants: the <c>mercure</c> claim's selectors, its payload and its expiry.</summary>
internal sealed class HeraldClaims
{
    /// <summary>A subscriber without a token on an anonymous hub: public updates only.</summary>
    public static readonly HeraldClaims Anonymous = new([], [], null, null);

    public HeraldClaims(IReadOnlyList<TopicSelector> publish, IReadOnlyList<TopicSelector> subscribe, JsonElement? payload, DateTimeOffset? expires)
    {
        Publish = publish;
        Subscribe = subscribe;
        Payload = payload;
        Expires = expires;
    }

    /// <summary>Selectors of <c>mercure.publish</c>: every topic of a publish must match one.</summary>
    public IReadOnlyList<TopicSelector> Publish { get; }

    /// <summary>Selectors of <c>mercure.subscribe</c>: a private update needs one of its topics matched by one.</summary>
    public IReadOnlyList<TopicSelector> Subscribe { get; }

    /// <summary><c>mercure.payload</c>, kept for subscription events.</summary>
    public JsonElement? Payload { get; }

    /// <summary>The token's <c>sub</c>, when it has one: streams per subject are limited.</summary>
    public string? Subject { get; init; }

    /// <summary>The token's <c>exp</c>; a subscriber is disconnected once it passes.</summary>
    public DateTimeOffset? Expires { get; }
}
