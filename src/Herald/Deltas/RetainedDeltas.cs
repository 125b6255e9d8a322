using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.Extensions.Logging;

namespace Herald.Deltas;

/// <summary>
/// The node's deltas for retained JSON topics (docs/deltas.md), driven by the dispatcher one update at a time:
/// <see cref="Begin"/>, then <see cref="FrameFor"/> per delta subscriber it delivers to, then <see cref="End"/>. It keeps
/// in memory the latest value of each retained topic a delta subscriber received (bounded by <see cref="MaxBytes"/>),
/// so no store read is added per update. The patch is computed at most once per update, only when a subscriber that has
/// the base is there, verified by applying it, and its frame is shared by all of them. Only the dispatcher's thread
/// calls it.
/// </summary>
internal sealed partial class RetainedDeltas(ILogger<RetainedDeltas> logger)
{
    /// <summary>
    /// 64 MiB of latest values (their UTF-8 size): 320 bundles of 200 KB. Past it the least recently updated topics are
    /// forgotten; their next update goes whole, then deltas again.
    /// </summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>
    /// A patch is sent only when it is at most a quarter of the document (bench/README.md, "Deltas"): past that,
    /// applying its many operations costs a client more CPU than parsing the whole document (measured: even at 10–25 %),
    /// and the diff stops early, so a bundle that changed a lot costs the hub little.
    /// </summary>
    public const double MaxRatio = 0.25;

    private readonly Dictionary<string, LinkedListNode<Latest>> _latest = new(StringComparer.Ordinal);
    private readonly LinkedList<Latest> _byAge = new();
    private long _bytes;

    // The update being dispatched.
    private StoredUpdate? _update;
    private Kind _kind;
    private bool _wanted;
    private byte[]? _utf8;
    private JsonDocument? _document;
    private bool _parsed;
    private Latest? _base;
    private Candidate? _jsonPatch;
    private Candidate? _mergePatch;

    private enum Kind
    {
        /// <summary>Not retained: the latest values do not change.</summary>
        Unretained,

        /// <summary>Retained, one topic, data that may be JSON: deltas possible.</summary>
        Json,

        /// <summary>Retained, but several topics or not JSON: sent whole; it replaces its topics' bases.</summary>
        Whole,
    }

    /// <summary>Latest values held; for tests and the stats.</summary>
    public int Count => _latest.Count;

    public void Begin(StoredUpdate stored)
    {
        _update = stored;
        var update = stored.Update;
        _kind = !update.Retain || stored.Superseded ? Kind.Unretained
            : update.Topics.Count == 1 && LooksLikeJson(update.Data) ? Kind.Json
            : Kind.Whole;
    }

    /// <summary>The frame of the current update for a delta subscriber it is delivered to (after the grant checks).</summary>
    public SseFrame FrameFor(DeltaBases bases)
    {
        var stored = _update!;
        var update = stored.Update;
        switch (_kind)
        {
            case Kind.Unretained:
                return stored.Frame;
            case Kind.Whole:
                foreach (var topic in update.Topics)
                {
                    bases.Forget(topic);
                }

                return stored.Frame;
        }

        var topicOf = update.Topics[0];
        var had = bases.Get(topicOf);
        bases.Set(topicOf, update.Id!);
        _wanted = true;
        if (had is null || !_latest.TryGetValue(topicOf, out var node) || node.Value.Id != had)
        {
            return stored.Frame;
        }

        if (_base is null)
        {
            _base = node.Value;
            try
            {
                Compute();
            }
            catch (Exception e)
            {
                // Whatever a document holds, the dispatcher goes on: this update goes whole.
                LogDiffFailed(logger, e, update.Id!);
                (_jsonPatch, _mergePatch) = (null, null);
            }
        }

        // The smaller first, among those it applies.
        var first = _mergePatch is { } m && (_jsonPatch is null || m.Patch.Length < _jsonPatch.Patch.Length) ? _mergePatch : _jsonPatch;
        var second = ReferenceEquals(first, _jsonPatch) ? _mergePatch : _jsonPatch;
        foreach (var candidate in (ReadOnlySpan<Candidate?>)[first, second])
        {
            if (candidate is not null && (bases.Formats & candidate.Format) != 0 && Verified(candidate) is { } frame)
            {
                return frame;
            }
        }

        return stored.Frame;
    }

    /// <summary>After the update was delivered: it becomes its topic's latest value here, if a delta subscriber received it.</summary>
    public void End()
    {
        var update = _update!.Update;
        switch (_kind)
        {
            case Kind.Json when _wanted && Parse() is { } document:
                Remember(new Latest(update.Topics[0], update.Id!, _utf8!, document));
                _document = null; // kept: not disposed below
                break;
            case Kind.Json:
            case Kind.Whole:
                foreach (var topic in update.Topics)
                {
                    Forget(topic);
                }

                break;
        }

        _document?.Dispose();
        if (_base is not null && (!_latest.TryGetValue(_base.Topic, out var kept) || !ReferenceEquals(kept.Value, _base)))
        {
            _base.Document.Dispose();
        }

        (_update, _wanted, _utf8, _document, _parsed, _base, _jsonPatch, _mergePatch) = (null, false, null, null, false, null, null, null);
    }

    /// <summary>The store's positions started over: what was kept belongs to another history.</summary>
    public void Clear()
    {
        foreach (var latest in _byAge)
        {
            latest.Document.Dispose();
        }

        _latest.Clear();
        _byAge.Clear();
        _bytes = 0;
    }

    /// <summary>An object or an array: a scalar is as small as its patch.</summary>
    private static bool LooksLikeJson(string data)
    {
        var text = data.AsSpan().TrimStart(" \t\r\n");
        return text.Length > 0 && text[0] is '{' or '[';
    }

    private JsonDocument? Parse()
    {
        if (!_parsed)
        {
            _parsed = true;
            _utf8 = Encoding.UTF8.GetBytes(_update!.Update.Data);
            try
            {
                _document = JsonDocument.Parse(_utf8, new JsonDocumentOptions { AllowDuplicateProperties = false });
            }
            catch (JsonException)
            {
                _document = null;
            }
        }

        return _document;
    }

    private void Compute()
    {
        if (Parse() is not { } document)
        {
            return;
        }

        var limit = (int)(_utf8!.Length * MaxRatio);
        var from = _base!.Document.RootElement;
        if (JsonDiff.JsonPatch(from, document.RootElement, limit) is { } jsonPatch)
        {
            _jsonPatch = new Candidate(DeltaFormats.JsonPatch, JsonDelta.JsonPatch, jsonPatch);
        }

        if (JsonDiff.MergePatch(from, document.RootElement, limit) is { } mergePatch)
        {
            _mergePatch = new Candidate(DeltaFormats.MergePatch, JsonDelta.MergePatch, mergePatch);
        }
    }

    /// <summary>The candidate's frame once applying it to the base rebuilt the update's document exactly; null if it did not.</summary>
    private SseFrame? Verified(Candidate candidate)
    {
        if (candidate.Checked)
        {
            return candidate.Frame;
        }

        candidate.Checked = true;
        try
        {
            var rebuilt = JsonDelta.Apply(candidate.Name, JsonNode.Parse(_base!.Utf8), JsonNode.Parse(candidate.Patch));
            var buffer = new ArrayBufferWriter<byte>(_utf8!.Length);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                if (rebuilt is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    rebuilt.WriteTo(writer);
                }
            }

            using var check = JsonDocument.Parse(buffer.WrittenMemory);
            if (JsonElement.DeepEquals(check.RootElement, _document!.RootElement))
            {
                var update = _update!;
                candidate.Frame = SseFrame.ForDelta(update.Position, update.Update, candidate.Name + " " + _base.Id, candidate.Patch);
            }
        }
        catch (Exception)
        {
            // Not exact, whatever the reason: logged below, sent whole.
        }

        if (candidate.Frame is null)
        {
            LogNotExact(logger, candidate.Name, _update!.Update.Id!);
        }

        return candidate.Frame;
    }

    private void Remember(Latest latest)
    {
        Forget(latest.Topic);
        _latest[latest.Topic] = _byAge.AddLast(latest);
        _bytes += latest.Utf8.Length;
        while (_bytes > MaxBytes && _byAge.First is { } oldest)
        {
            Forget(oldest.Value.Topic);
        }
    }

    private void Forget(string topic)
    {
        if (_latest.Remove(topic, out var node))
        {
            _byAge.Remove(node);
            _bytes -= node.Value.Utf8.Length;

            // Still the base of the update being dispatched: disposed with it.
            if (!ReferenceEquals(node.Value, _base))
            {
                node.Value.Document.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 71, Level = LogLevel.Warning, Message = "Could not diff update {Id} against its topic's previous value: sent whole")]
    private static partial void LogDiffFailed(ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 70, Level = LogLevel.Warning, Message = "A {Format} patch did not rebuild update {Id} exactly: sent whole")]
    private static partial void LogNotExact(ILogger logger, string format, string id);

    /// <summary>A topic's latest value as this node dispatched it: its id, its UTF-8 text and that text parsed.</summary>
    private sealed record Latest(string Topic, string Id, byte[] Utf8, JsonDocument Document);

    private sealed class Candidate(DeltaFormats format, string name, byte[] patch)
    {
        public DeltaFormats Format { get; } = format;

        public string Name { get; } = name;

        public byte[] Patch { get; } = patch;

        public bool Checked { get; set; }

        public SseFrame? Frame { get; set; }
    }
}
