namespace Herald.Deltas;

/// <summary>
/// One delta subscriber's bases: per retained topic, the id of the value the dispatcher last queued to it (whole or as a
/// delta). A delta goes only against that id; a topic it has no entry for gets the whole value. Replay and the retained
/// snapshot write whole values and leave no entry, so the first live value of each topic on a connection is whole,
/// unless the dispatcher queued it a value the replay also sent (the writer skips that copy, and the client has the
/// value from the replay, so a delta against it is sound). Touched by the dispatcher alone (one thread).
/// </summary>
internal sealed class DeltaBases(DeltaFormats formats)
{
    /// <summary>1,024 topics: a template over more forgets them all and starts over with whole values, bounding memory.</summary>
    public const int MaxTopics = 1024;

    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);

    public DeltaFormats Formats { get; } = formats;

    public string? Get(string topic) => _ids.GetValueOrDefault(topic);

    public void Set(string topic, string id)
    {
        if (_ids.Count >= MaxTopics && !_ids.ContainsKey(topic))
        {
            _ids.Clear();
        }

        _ids[topic] = id;
    }

    public void Forget(string topic) => _ids.Remove(topic);
}
