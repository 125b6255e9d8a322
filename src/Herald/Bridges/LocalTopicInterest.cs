using Herald.Fanout;

namespace Herald.Bridges;

/// <summary>The streams and long polls open on this node, from its subscriber index.</summary>
internal sealed class LocalTopicInterest(SubscriberIndex index) : ITopicInterest
{
    public bool IsWanted(string topic) => index.HasSubscribersNaming(topic);
}
