namespace Herald.Client;

/// <summary>Callbacks a subscriber may observe besides the updates themselves.</summary>
public sealed class SubscribeOptions
{
    /// <summary>
    /// The hub could not resume from the last id (it answered <c>Last-Event-ID: earliest</c>): updates may have been
    /// missed, and the caller should refetch its state. The argument is the id the client asked to resume from; never
    /// called for <c>earliest</c>, which asks for everything the hub still has.
    /// </summary>
    public Action<string>? OnGap { get; init; }

    /// <summary>
    /// The hub announced that it will close the stream when the token expires, at the given time (Herald's
    /// <c>herald.token-expiring</c> event, sent up to 10 s before). With a <see cref="HeraldClientOptions.TokenProvider"/>
    /// the client then asks it for a new token and replaces the stream at once, resuming from the last id, so no update
    /// is lost or repeated; with a fixed token the stream ends at exp. The event is never yielded as an update.
    /// </summary>
    public Action<DateTimeOffset>? OnTokenExpiring { get; init; }

    /// <summary>
    /// Ask for deltas on retained JSON topics (docs/deltas.md): the hub may send a patch against the value the client
    /// has, which it applies, so each update still carries the whole document (as JSON text, equal as JSON to what was
    /// published). Null: <see cref="HeraldClient.Follow{T}"/> asks, <c>SubscribeAsync</c> does not.
    /// </summary>
    public bool? Deltas { get; init; }

    /// <summary>
    /// The dialect of the subscribe request: <see cref="MercureProtocol.Legacy"/> (default) sends the topics as
    /// <c>topic=</c>; <see cref="MercureProtocol.V1"/> as Mercure 1.0 matchers of <see cref="MatchType"/>, for a hub that
    /// speaks 1.0 (Herald <c>--protocol both</c> or <c>v1</c>). Tokens and resuming are the same in both.
    /// </summary>
    public MercureProtocol Protocol { get; init; }

    /// <summary>With <see cref="MercureProtocol.V1"/>: the matcher type of every topic (default <see cref="Client.MatchType.Exact"/>).</summary>
    public MatchType MatchType { get; init; }

    /// <summary>A connection ended and the client will retry after the given delay; the exception says why.</summary>
    public Action<Exception?, TimeSpan>? OnReconnecting { get; init; }
}
