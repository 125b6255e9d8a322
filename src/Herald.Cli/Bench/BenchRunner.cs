using System.Diagnostics;
using HdrHistogram;
using Spectre.Console;

namespace Herald.Cli.Bench;

/// <summary>
/// Connect, publish, drain, then count: sampling the timeline throughout. Stops by itself (message count, time
/// limit, drain timeout) or on cancel (Ctrl-C), and in every case returns the figures gathered so far.
/// </summary>
internal static class BenchRunner
{
    /// <summary>Share of its cores above which the generator is called saturated: its own queueing then shows up as latency.</summary>
    public const double SaturationShare = 0.9;

    public static async Task<BenchResult> RunAsync(BenchOptions options, bool live, CancellationToken interrupt)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        limit.CancelAfter(options.TimeLimit);
        var cancel = limit.Token;
        using var generator = new LoadGenerator(options);
        var sampler = new ResourceSampler(options.ServerPid);
        var total = new LongHistogram(1, 3_600_000_000, 3);
        var result = new BenchResult
        {
            Hub = options.TemplateMode ? options.SubscribeTemplate! : options.Hub.ToString(),
            Mode = options.TemplateMode ? "template" : "mercure",
            StartedAt = DateTimeOffset.UtcNow,
            Settings = new BenchSettings
            {
                Subscribers = options.Subscribers, Topics = options.Topics, Rate = options.Rate, Messages = options.Messages,
                PayloadBytes = options.Payload, ConnectRate = options.ConnectRate, SourceIps = options.SourceIps.Count,
            },
            Machine = new MachineInfo
            {
                GeneratorCores = Environment.ProcessorCount,
                LoadAverage = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "",
                Runtime = Environment.Version.ToString(),
            },
        };
        var rssBaseline = sampler.ServerRss();
        long? rssAfterConnect = null;
        long rssPeak = rssBaseline ?? 0;
        var ownCpu = new List<double>();
        var serverCpu = new List<double>();
        var clock = Stopwatch.StartNew();
        var phase = "connecting";
        using var sampling = new CancellationTokenSource();

        void Sample()
        {
            var interval = generator.TakeInterval();
            total.Add(interval);
            var (own, server) = sampler.SampleCpu();
            ownCpu.Add(own);
            if (server is { } s)
            {
                serverCpu.Add(s);
            }

            var rss = sampler.ServerRss();
            rssPeak = Math.Max(rssPeak, rss ?? 0);
            var last = result.Timeline.LastOrDefault();
            var t = clock.Elapsed.TotalSeconds;
            var delivered = generator.Delivered;
            result.Timeline.Add(new TimelineSample(
                Math.Round(t, 3), generator.Open, generator.Established, generator.Failed, generator.Published, delivered,
                last is null ? 0 : (delivered - last.Delivered) / Math.Max(t - last.T, 1e-3),
                interval.TotalCount > 0 ? Ms(interval.GetValueAtPercentile(50)) : null,
                interval.TotalCount > 0 ? Ms(interval.GetValueAtPercentile(99)) : null,
                interval.TotalCount > 0 ? Ms(interval.GetMaxValue()) : null,
                Math.Round(own, 1), server is null ? null : Math.Round(server.Value, 1), rss is null ? null : Math.Round(rss.Value / 1048576.0, 1)));
        }

        async Task SampleLoopAsync()
        {
            using var timer = new PeriodicTimer(options.SampleInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(sampling.Token).ConfigureAwait(false))
                {
                    Sample();
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        async Task PhasesAsync()
        {
            try
            {
                await generator.ConnectAllAsync(cancel).ConfigureAwait(false);
                result.Phases.ConnectSeconds = clock.Elapsed.TotalSeconds;
                rssAfterConnect = sampler.ServerRss();
                if (generator.Established == 0)
                {
                    // Publishing to nobody measures nothing, and a long run would only hide the mistake.
                    result.StoppedEarly = $"no subscriber could connect ({generator.ConnectFailureReasons})";
                    return;
                }

                phase = "publishing";
                var publishStart = clock.Elapsed;
                await generator.PublishAllAsync(cancel).ConfigureAwait(false);
                result.Phases.PublishSeconds = (clock.Elapsed - publishStart).TotalSeconds;
                if (generator.Accepted == 0)
                {
                    result.StoppedEarly = $"no publish was accepted ({generator.PublishFailureReasons})";
                    return;
                }

                phase = "draining";
                var drainStart = clock.Elapsed;
                using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                drain.CancelAfter(options.Drain);
                await generator.DrainAsync(drain.Token).ConfigureAwait(false);
                result.Phases.DrainSeconds = (clock.Elapsed - drainStart).TotalSeconds;
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C or the time limit: count what happened.
                result.Interrupted = interrupt.IsCancellationRequested;
            }
        }

        var sampleLoop = SampleLoopAsync();
        if (live)
        {
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    var connecting = context.AddTask("connections", maxValue: options.Subscribers);
                    var publishing = context.AddTask("publishes", maxValue: options.Messages);
                    var delivering = context.AddTask("deliveries", maxValue: 1);
                    var phases = PhasesAsync();
                    while (!phases.IsCompleted)
                    {
                        connecting.Value = generator.Established + generator.Failed;
                        connecting.Description = $"connections ({generator.Established:N0} open, {generator.Failed:N0} failed)";
                        publishing.Value = generator.Published;
                        delivering.MaxValue = Math.Max(1, generator.ExpectedSoFar);
                        delivering.Value = generator.Delivered;
                        delivering.Description = $"deliveries ({phase})";
                        await Task.WhenAny(phases, Task.Delay(options.SampleInterval / 2, CancellationToken.None)).ConfigureAwait(false);
                    }

                    connecting.Value = connecting.MaxValue;
                    publishing.Value = publishing.MaxValue;
                    delivering.Value = delivering.MaxValue;
                }).ConfigureAwait(false);
        }
        else
        {
            await PhasesAsync().ConfigureAwait(false);
        }

        var deliverySeconds = result.Phases.PublishSeconds + result.Phases.DrainSeconds;
        await generator.StopAsync().ConfigureAwait(false);
        await sampling.CancelAsync().ConfigureAwait(false);
        await sampleLoop.ConfigureAwait(false);
        Sample();

        (result.Connections, result.Publishes, result.Deliveries) = generator.Count(result.Phases.PublishSeconds, deliverySeconds);
        result.Latency = Latency(total);
        var cores = Environment.ProcessorCount;
        var ownAverage = ownCpu.Count > 0 ? ownCpu.Average() : 0;
        result.Generator = new ResourceFigures
        {
            Cores = cores,
            CpuAveragePercent = Math.Round(ownAverage, 1),
            CpuPeakPercent = Math.Round(ownCpu.DefaultIfEmpty().Max(), 1),
            Saturated = ownCpu.Count > 0 && ownCpu.Max() >= SaturationShare * cores * 100,
        };
        if (options.ServerPid is { } pid)
        {
            result.Server = new ResourceFigures
            {
                Pid = pid,
                Cores = cores,
                CpuAveragePercent = Math.Round(serverCpu.DefaultIfEmpty().Average(), 1),
                CpuPeakPercent = Math.Round(serverCpu.DefaultIfEmpty().Max(), 1),
                RssBaselineMiB = MiB(rssBaseline),
                RssAfterConnectMiB = MiB(rssAfterConnect),
                RssPeakMiB = MiB(rssPeak),
                RssPerConnectionKiB = rssBaseline is { } b && rssAfterConnect is { } a && result.Connections.Established > 0
                    ? Math.Round((a - b) / 1024.0 / result.Connections.Established, 1)
                    : null,
            };
        }

        return result;
    }

    private static LatencyFigures Latency(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return new LatencyFigures();
        }

        var distribution = new List<PercentilePoint>();
        foreach (var p in new[] { 0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100 })
        {
            distribution.Add(new PercentilePoint(p, Ms(histogram.GetValueAtPercentile(p))));
        }

        return new LatencyFigures
        {
            Count = histogram.TotalCount,
            MeanMs = Math.Round(histogram.GetMean() / 1000, 3),
            P50Ms = Ms(histogram.GetValueAtPercentile(50)),
            P90Ms = Ms(histogram.GetValueAtPercentile(90)),
            P99Ms = Ms(histogram.GetValueAtPercentile(99)),
            P999Ms = Ms(histogram.GetValueAtPercentile(99.9)),
            MaxMs = Ms(histogram.GetMaxValue()),
            Distribution = distribution,
        };
    }

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 3);

    private static double? MiB(long? bytes) => bytes is { } b ? Math.Round(b / 1048576.0, 1) : null;
}
