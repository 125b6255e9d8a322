namespace Herald.Client;

/// <summary>The Mercure dialect a subscription speaks (<see cref="SubscribeOptions.Protocol"/>).</summary>
public enum MercureProtocol
{
    /// <summary>Mercure 0.x: <c>topic=</c> selectors (exact topics, URI templates, <c>*</c>). Every hub speaks it.</summary>
    Legacy,

    /// <summary>Mercure 1.0 (draft-08): <c>match=</c> or <c>matchURLPattern=</c> matchers, for hubs that speak 1.0.</summary>
    V1,
}

/// <summary>A Mercure 1.0 matcher type (<see cref="SubscribeOptions.MatchType"/>).</summary>
public enum MatchType
{
    /// <summary>Byte-for-byte equality (<c>match=</c>).</summary>
    Exact,

    /// <summary>A WHATWG URL pattern, relative ones resolved against the hub's URL (<c>matchURLPattern=</c>).</summary>
    UrlPattern,
}
