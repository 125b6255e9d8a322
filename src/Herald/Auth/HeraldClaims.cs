using System.Text.Json;
using Herald.Protocol;

namespace Herald.Auth;

/// <summary>
/// What a validated token grants: for a 0.x token the <c>mercure</c> claim's selectors and payload, for a 1.0 token the
/// compiled <c>authorization_details</c> (<see cref="Grants"/>); and its expiry.
/// </summary>
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

    /// <summary>The token's <c>exp</c>: refused from then on, and a subscriber's stream is closed at it.</summary>
    public DateTimeOffset? Expires { get; }

    /// <summary>Legacy (0.x, <c>mercure</c> claim) or V1 (1.0 access token, <see cref="Grants"/>).</summary>
    public TokenDialect Dialect { get; init; }

    /// <summary>The 1.0 token's <c>authorization_details</c>, compiled once; null for a legacy token.</summary>
    public AccessGrants? Grants { get; init; }

    /// <summary>The 1.0 token's <c>iss</c>; null for a legacy token.</summary>
    public string? Issuer { get; init; }

    /// <summary>
    /// The payload of a subscription (draft-08, "Payloads"): for a 1.0 token, that of the first subscribe detail whose
    /// topics match the subscription's own matcher string; for a legacy token, <c>mercure.payload</c>.
    /// </summary>
    public JsonElement? PayloadFor(string matcher) => Grants is { } grants ? grants.PayloadFor(matcher) : Payload;
}
