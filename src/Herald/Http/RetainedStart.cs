using System.IO.Pipelines;
using Herald.Auth;
using Herald.Fanout;
using Herald.Protocol;

namespace Herald.Http;

/// <summary>
/// Where a subscription starts when retained topics are involved, for SSE streams and long polls alike: without a
/// cursor, the latest values as of the head (then the hub cursor of that head); with <c>earliest</c> or a cursor that
/// resumes with a gap, the latest values older than the first update the replay sends.
/// </summary>
internal static class RetainedStart
{
    /// <summary>Names the cut on the answer too (SSE: beside the event; poll: beside <c>"retainedCut"</c>).</summary>
    public const string CutHeader = "Herald-Retained-Cut";

    /// <summary>The latest values sent before a replay from <paramref name="resume"/>; none when the replay starts where the caller left off.</summary>
    public static async Task<RetainedSnapshot> BeforeReplayAsync(HistoryReader history, ResumeCursor cursor, ResumePoint resume, HeraldClaims claims, IReadOnlyList<TopicSelector> selectors, CancellationToken cancellationToken)
    {
        if (cursor.Kind != ResumeCursorKind.Earliest && !resume.Gap)
        {
            return RetainedSnapshot.Empty;
        }

        var upTo = await history.ReplayStartAsync(resume.After, cancellationToken).ConfigureAwait(false);
        return await history.ReadRetainedAsync(claims, selectors, upTo, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the values (after the cut event, when cut); the caller flushes.</summary>
    public static void Write(Subscriber subscriber, PipeWriter output, RetainedSnapshot snapshot)
    {
        var encoding = subscriber.Encoding;
        if (snapshot.Cut)
        {
            encoding.Write(output, SseFrame.RetainedCut(snapshot.Values.Count));
        }

        foreach (var value in snapshot.Values)
        {
            encoding.Write(output, subscriber.FrameFor(value));
        }
    }
}
