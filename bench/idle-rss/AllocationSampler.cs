using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

/// <summary>
/// The runtime's own allocation sampling (GCAllocationTick: one event per ~100 KB allocated, naming the type that
/// crossed the mark), read in process: which types a subscribe allocates, garbage included, which a heap dump
/// cannot show. Sampled, so shares are estimates; the byte total comes from <see cref="GC.GetTotalAllocatedBytes"/>.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new();
    private volatile bool _recording;

    public void Start() => _recording = true;

    public IReadOnlyList<(string Type, long Bytes)> Stop()
    {
        _recording = false;
        return _bytesByType.OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value)).ToList();
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_recording || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null)
        {
            return;
        }

        var type = e.Payload![e.PayloadNames.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        _bytesByType.AddOrUpdate(type, amount, (_, sum) => sum + amount);
    }
}
