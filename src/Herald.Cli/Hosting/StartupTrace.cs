using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Herald.Cli.Hosting;

/// <summary>
/// <c>HERALD_STARTUP_TRACE=1</c>: one stderr line per start stage, <c>startup: MS ms STAGE (unix MS)</c>, MS since
/// <c>Main</c> and the wall clock (so bench/start-time can place each stage after its spawn). Off, a mark is one branch.
/// </summary>
internal static class StartupTrace
{
    private static readonly long Origin = Stopwatch.GetTimestamp();
    private static int _requests;

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("HERALD_STARTUP_TRACE") == "1";

    /// <summary>Called first in <c>Main</c>, so the origin is taken there rather than at the first stage.</summary>
    public static void Start() => Mark("main");

    /// <summary>Marks the first request's arrival (routing, then the endpoint, follow). Added to the pipeline only when enabled.</summary>
    public static Task MarkFirstRequest(HttpContext context, RequestDelegate next)
    {
        if (Interlocked.Increment(ref _requests) == 1)
        {
            Mark("first request");
        }

        return next(context);
    }

    public static void Mark(string stage)
    {
        if (Enabled)
        {
            var unix = (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;
            Console.Error.WriteLine($"startup: {Stopwatch.GetElapsedTime(Origin).TotalMilliseconds,7:F1} ms {stage} (unix {unix:F3})");
        }
    }
}
