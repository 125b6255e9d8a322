using System.Text.Json;

namespace Herald.Subscriptions;

/// <summary>
/// One subscription as Mercure's "Active Subscriptions" names it: one topic selector of one connection. Its
/// <see cref="Id"/> is also the topic of the events announcing it.
/// </summary>
/// <param name="Topic">The selector the subscriber asked for, as it sent it.</param>
/// <param name="Subscriber">The connection's hub-generated <c>urn:uuid:</c>, shared by its subscriptions.</param>
/// <param name="Payload">The subscriber token's <c>mercure.payload</c>, if any (never the token itself).</param>
internal sealed record ActiveSubscription(string Topic, string Subscriber, JsonElement? Payload)
{
    public string Id { get; } = SubscriptionPaths.TopicOf(Topic, Subscriber);
}
