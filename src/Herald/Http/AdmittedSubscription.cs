using Herald.Auth;
using Herald.Protocol;

namespace Herald.Http;

/// <summary>
/// A subscribe request the gate let through: what it asked for, who asked, and where it resumes. Holds its places
/// against the connection and template limits until disposed.
/// </summary>
internal sealed class AdmittedSubscription(AdmissionHolds holds, TopicSelector[] selectors, HeraldClaims claims, string? cursorText) : IDisposable
{
    public TopicSelector[] Selectors { get; } = selectors;

    public HeraldClaims Claims { get; } = claims;

    /// <summary>The request asked for <c>reportMatches</c>.</summary>
    public bool ReportsMatches { get; init; }

    /// <summary>The resume point as the client sent it; null when it sent none (start now).</summary>
    public string? CursorText { get; } = cursorText;

    /// <summary>The patch formats it asked for with <c>herald-delta</c> (docs/deltas.md); none: whole updates.</summary>
    public Deltas.DeltaFormats Deltas { get; init; }

    public ResumeCursor? Cursor { get; } = cursorText is null ? null : ResumeCursor.Parse(cursorText);

    /// <summary>The places it holds, for the stream to release when it ends.</summary>
    public AdmissionHolds Holds => holds;

    public void Dispose() => holds.Dispose();
}

/// <summary>
/// The places an admission holds (the connection, its templates, its token subject), released together; fields rather
/// than a list, which every open stream would keep.
/// </summary>
internal sealed class AdmissionHolds(IDisposable connection) : IDisposable
{
    public IDisposable Connection => connection;

    public IDisposable? Templates { get; set; }

    public IDisposable? Subject { get; set; }

    public void Dispose()
    {
        connection.Dispose();
        Templates?.Dispose();
        Subject?.Dispose();
    }
}
