using System.CommandLine;
using Herald.Cli.Probe;
using Spectre.Console;

namespace Herald.Cli.Commands;

/// <summary><c>herald probe URL</c>: connects to any SSE endpoint and names what is wrong with it.</summary>
internal static class ProbeCommand
{
    /// <summary>Exit code when the probe ran and found a problem (0 is healthy, 2 bad usage).</summary>
    public const int ProblemFound = 1;

    /// <summary>Connections are concurrent; more than this is a load test, which is <c>herald bench</c>'s job.</summary>
    public const int MaxAttempts = 100;

    /// <summary>Four updates a second: live enough to watch, cheap enough not to disturb the timings.</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private static readonly Argument<string> Url = new("url") { Description = "the SSE endpoint (for a Mercure hub, its /.well-known/mercure URL)" };
    private static readonly Option<string[]> Topic = new("--topic") { Description = "topic to subscribe to (repeatable; Mercure hubs need one, here or as ?topic= in the URL)" };
    private static readonly Option<string?> Token = new("--token") { Description = "bearer token sent with the subscription" };
    private static readonly Option<string[]> Header = new("--header") { Description = "extra request header \"Name: value\" (repeatable)" };
    private static readonly Option<TimeSpan?> DurationOption = Durations.Option("--duration", $"how long to listen [default: {ProbeOptions.DefaultDuration.TotalSeconds:0}s]");
    private static readonly Option<TimeSpan?> ExpectHeartbeat = Durations.Option(
        "--expect-heartbeat", $"heartbeat interval the server should keep; silence over twice this is reported [default: {ProbeOptions.DefaultExpectedHeartbeat.TotalSeconds:0}s]");

    private static readonly Option<int> Attempts = new("--attempts") { Description = "concurrent connections to make; reports the success rate", DefaultValueFactory = _ => 1 };
    private static readonly Option<string?> PublishUrl = new("--publish-url") { Description = "Mercure publish URL: a marker update is published to the first topic and its delivery timed" };
    private static readonly Option<string?> PublishToken = new("--publish-token") { Description = "bearer token for --publish-url" };
    private static readonly Option<bool> Json = new("--json") { Description = "print the report as JSON" };

    public static Command Create()
    {
        var command = new Command("probe", "Diagnose an SSE endpoint: waterfall, headers, heartbeats, buffering, delivery latency.")
        {
            Url, Topic, Token, Header, DurationOption, ExpectHeartbeat, Attempts, PublishUrl, PublishToken, Json,
        };
        command.SetAction(async (parseResult, cancel) =>
        {
            try
            {
                var options = Read(parseResult);
                var progress = new ProbeProgress();
                var running = ProbeRunner.RunAsync(options, progress, cancel);
                if (!parseResult.GetValue(Json) && Terminal.IsInteractive)
                {
                    await ShowProgressAsync(running, progress, options);
                }

                var report = await running;
                if (parseResult.GetValue(Json))
                {
                    Console.Out.WriteLine(report.ToJson());
                }
                else
                {
                    report.Render(AnsiConsole.Console);
                }

                return report.Healthy ? Cli.Ok : ProblemFound;
            }
            catch (UsageException e)
            {
                return Cli.Fail("probe: " + e.Message);
            }
        });
        return command;
    }

    private static ProbeOptions Read(ParseResult parseResult)
    {
        var url = ParseUrl(parseResult.GetValue(Url)!, "URL");
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var header in parseResult.GetValue(Header) ?? [])
        {
            var colon = header.IndexOf(':');
            if (colon <= 0)
            {
                throw new UsageException($"--header \"{header}\" is not \"Name: value\"");
            }

            headers.Add(new(header[..colon].Trim(), header[(colon + 1)..].Trim()));
        }

        var attempts = parseResult.GetValue(Attempts);
        if (attempts is < 1 or > MaxAttempts)
        {
            throw new UsageException($"--attempts must be between 1 and {MaxAttempts}");
        }

        var publishUrl = parseResult.GetValue(PublishUrl) is { } p ? ParseUrl(p, "--publish-url") : null;
        var options = new ProbeOptions
        {
            Url = url,
            Topics = parseResult.GetValue(Topic) ?? [],
            Token = parseResult.GetValue(Token),
            Headers = headers,
            Duration = parseResult.GetValue(DurationOption) ?? ProbeOptions.DefaultDuration,
            ExpectedHeartbeat = parseResult.GetValue(ExpectHeartbeat) ?? ProbeOptions.DefaultExpectedHeartbeat,
            Attempts = attempts,
            PublishUrl = publishUrl,
            PublishToken = parseResult.GetValue(PublishToken),
        };
        return publishUrl is not null && options.MarkerTopic is null
            ? throw new UsageException("--publish-url needs a topic to publish the marker to: add ?topic= to the URL or --topic")
            : options;
    }

    /// <summary>A live line while the probe listens, so a long window is never silent; cleared before the report.</summary>
    private static Task ShowProgressAsync(Task running, ProbeProgress progress, ProbeOptions options) =>
        AnsiConsole.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var listening = context.AddTask("connecting", maxValue: options.Duration.TotalSeconds);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (!running.IsCompleted)
                {
                    listening.Value = Math.Min(clock.Elapsed.TotalSeconds, options.Duration.TotalSeconds);
                    // The bar is the window; the remaining time is known exactly, unlike Spectre's estimate from the rate.
                    var left = Math.Max(0, options.Duration.TotalSeconds - clock.Elapsed.TotalSeconds);
                    listening.Description = $"{progress.Open}/{options.Attempts} streams open, {progress.Events:N0} events, {progress.Comments:N0} comments, {left:0} s left"
                        + (progress.Failed > 0 ? $", [red]{progress.Failed} failed[/]" : "");
                    await Task.WhenAny(running, Task.Delay(ProgressInterval, CancellationToken.None));
                }

                listening.Value = listening.MaxValue;
            });

    internal static Uri ParseUrl(string text, string what) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new UsageException($"{what} \"{text}\" is not an http:// or https:// URL");
}
