namespace Herald.Bridges;

/// <summary>
/// Whether anyone wants a bridged topic right now, so its upstream is polled only then. The node-local answer is
/// <see cref="LocalTopicInterest"/>; a cluster registry of subscriptions answers for every node instead.
/// </summary>
internal interface ITopicInterest
{
    /// <summary>
    /// True while a subscriber asked for <paramref name="topic"/> by name or by a URI template that matches it. A
    /// <c>*</c> subscriber does not count: it watches everything (a dashboard, a debug console) and would wake every
    /// bridge of the hub.
    /// </summary>
    bool IsWanted(string topic);
}
