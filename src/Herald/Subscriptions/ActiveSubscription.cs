using System.Text.Json;

namespace Herald.Subscriptions;

/// <summary>
/// One subscription as Mercure's "Active Subscriptions" names it: one topic selector (0.x) or topic matcher (1.0) of
/// one connection. Its <see cref="Id"/> is also the topic of the events announcing it.
/// </summary>
/// <param name="Topic">The selector or matcher the subscriber asked for, as it sent it.</param>
/// <param name="Subscriber">The connection's hub-generated <c>urn:uuid:</c>, shared by its subscriptions.</param>
/// <param name="Payload">The subscriber token's <c>mercure.payload</c>, if any (never the token itself).</param>
/// <param name="MatchType">
/// The Mercure 1.0 matcher type name (<c>Exact</c>, <c>URLPattern</c>); null for a 0.x subscription. It decides the
/// shape: <c>…/subscriptions/{topic}/{subscriber}</c> and <c>topic</c>, or <c>…/subscriptions/{matchType}/{match}/{subscriber}</c>
/// and <c>matchType</c>/<c>match</c>.
/// </param>
internal sealed record ActiveSubscription(string Topic, string Subscriber, JsonElement? Payload, string? MatchType = null)
{
    public string Id { get; } = MatchType is null ? SubscriptionPaths.TopicOf(Topic, Subscriber) : SubscriptionPaths.TopicOf(MatchType, Topic, Subscriber);
}
