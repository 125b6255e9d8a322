using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Herald.Cli.Bench;
using Spectre.Console;

namespace Herald.Cli.Commands;

/// <summary><c>herald bench</c>: load-tests a hub and reports honest figures; <c>herald bench compare</c> sets runs side by side.</summary>
internal static class BenchCommand
{
    /// <summary>Exit code of a run that measured nothing: no subscriber connected, or no publish was accepted.</summary>
    public const int NothingMeasured = 1;

    /// <summary>Source ranges longer than this are a typo, not a plan.</summary>
    public const int MaxSourceIps = 256;

    private static readonly Option<string?> Hub = new("--hub") { Description = "the hub's Mercure URL (…/.well-known/mercure); with templates, only used for display" };
    private static readonly Option<int> Subscribers = new("--subscribers") { Description = "subscribers to open", DefaultValueFactory = _ => BenchOptions.DefaultSubscribers };
    private static readonly Option<int> Topics = new("--topics") { Description = "topics; subscriber i listens to topic i mod T, publish j goes to j mod T", DefaultValueFactory = _ => 1 };
    private static readonly Option<double> Rate = new("--rate") { Description = "publishes per second", DefaultValueFactory = _ => BenchOptions.DefaultRate };
    private static readonly Option<int?> Messages = new("--messages") { Description = $"publishes to send [default: {BenchOptions.DefaultMessages}, or rate × --duration]" };
    private static readonly Option<TimeSpan?> Duration = Durations.Option("--duration", "publish for this long (sets --messages to rate × duration)");
    private static readonly Option<int> Payload = new("--payload") { Description = $"bytes of data per update (≥ {BenchOptions.MinPayload})", DefaultValueFactory = _ => BenchOptions.DefaultPayload };
    private static readonly Option<string?> Token = new("--token") { Description = "bearer token for publishing and subscribing" };
    private static readonly Option<string?> JwtKey = new("--jwt-key") { Description = "the hub's HMAC key: bench mints its own publish and subscribe tokens" };
    private static readonly Option<double> ConnectRate = new("--connect-rate") { Description = "new connections per second (ramp)", DefaultValueFactory = _ => BenchOptions.DefaultConnectRate };
    private static readonly Option<string?> SourceIps = new("--source-ips") { Description = "local source addresses, e.g. 127.0.0.1-127.0.0.8 or a comma list (more than ~28,000 connections)" };
    private static readonly Option<int?> ServerPid = new("--server-pid") { Description = "the hub's process id: samples its RSS and CPU (Linux)" };
    private static readonly Option<string?> PublishUrl = new("--publish-url") { Description = "template mode: POST the payload to this URL, {topic} replaced (e.g. http://host/pub/{topic})" };
    private static readonly Option<string?> SubscribeUrl = new("--subscribe-url") { Description = "template mode: subscribe with GET at this URL, {topic} replaced (e.g. http://host/sub/{topic})" };
    private static readonly Option<TimeSpan?> Drain = Durations.Option("--drain", $"after the last publish, wait this long for deliveries [default: {BenchOptions.DefaultDrain.TotalSeconds:0}s]");
    private static readonly Option<string?> Json = new("--json") { Description = "write the figures as JSON to this file" };
    private static readonly Option<string?> Html = new("--html") { Description = "write a self-contained HTML report with charts to this file" };

    private static readonly Argument<string[]> Files = new("files") { Description = "bench --json files", Arity = new ArgumentArity(1, 100) };

    public static Command Create()
    {
        var compare = new Command("compare", "Print bench runs (--json files) side by side with ratios to the first.") { Files };
        compare.SetAction(parseResult => Compare(parseResult.GetValue(Files) ?? []));

        var command = new Command("bench", "Load-test a hub: subscribers, publish rate, delivery accounting, latency percentiles.")
        {
            Hub, Subscribers, Topics, Rate, Messages, Duration, Payload, Token, JwtKey, ConnectRate, SourceIps, ServerPid,
            PublishUrl, SubscribeUrl, Drain, Json, Html, compare,
        };
        command.SetAction((parseResult, _) => RunAsync(parseResult));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult)
    {
        BenchOptions options;
        try
        {
            options = Read(parseResult);
        }
        catch (UsageException e)
        {
            return Cli.Fail("bench: " + e.Message);
        }

        // Ctrl-C and SIGTERM end the run cleanly: subscribers close, the figures so far are counted and written.
        using var interrupt = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupt.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            interrupt.Cancel();
        });
        try
        {
            var result = await BenchRunner.RunAsync(options, Terminal.IsInteractive, interrupt.Token);
            BenchReport.Render(result, AnsiConsole.Console);
            if (parseResult.GetValue(Json) is { } json)
            {
                await File.WriteAllTextAsync(json, result.ToJson());
            }

            if (parseResult.GetValue(Html) is { } html)
            {
                await File.WriteAllTextAsync(html, HtmlReport.Render(result));
            }

            return result.StoppedEarly is { } reason ? Cli.Fail($"bench: {reason}: nothing was measured", NothingMeasured) : Cli.Ok;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static BenchOptions Read(ParseResult parseResult)
    {
        var publishTemplate = parseResult.GetValue(PublishUrl);
        var subscribeTemplate = parseResult.GetValue(SubscribeUrl);
        if ((publishTemplate is null) != (subscribeTemplate is null))
        {
            throw new UsageException("--publish-url and --subscribe-url go together");
        }

        var hubText = parseResult.GetValue(Hub) ?? subscribeTemplate ?? throw new UsageException("--hub is required (or --publish-url and --subscribe-url)");
        var hub = ProbeCommand.ParseUrl(hubText.Replace("{topic}", "topic", StringComparison.Ordinal), "--hub");
        if (publishTemplate is not null)
        {
            ProbeCommand.ParseUrl(publishTemplate.Replace("{topic}", "t", StringComparison.Ordinal), "--publish-url");
            ProbeCommand.ParseUrl(subscribeTemplate!.Replace("{topic}", "t", StringComparison.Ordinal), "--subscribe-url");
        }

        var subscribers = parseResult.GetValue(Subscribers);
        var topics = parseResult.GetValue(Topics);
        var rate = parseResult.GetValue(Rate);
        var payload = parseResult.GetValue(Payload);
        var connectRate = parseResult.GetValue(ConnectRate);
        var duration = parseResult.GetValue(Duration);
        var messages = parseResult.GetValue(Messages) ?? (duration is { } d ? (int)Math.Ceiling(d.TotalSeconds * rate) : BenchOptions.DefaultMessages);
        if (subscribers < 1 || topics < 1 || messages < 1)
        {
            throw new UsageException("--subscribers, --topics and --messages must be at least 1");
        }

        if (rate <= 0 || connectRate <= 0)
        {
            throw new UsageException("--rate and --connect-rate must be positive");
        }

        if (payload < BenchOptions.MinPayload)
        {
            throw new UsageException($"--payload must be at least {BenchOptions.MinPayload} bytes (the sequence number and send time)");
        }

        if ((long)subscribers * messages > BenchOptions.MaxTrackedDeliveries)
        {
            throw new UsageException($"--subscribers × --messages is over {BenchOptions.MaxTrackedDeliveries:N0}: every delivery is tracked");
        }

        var pid = parseResult.GetValue(ServerPid);
        if (pid is { } p && !ResourceSampler.Exists(p))
        {
            throw new UsageException($"--server-pid {p}: no such process (or no /proc)");
        }

        string? publishToken = parseResult.GetValue(Token), subscribeToken = publishToken;
        if (parseResult.GetValue(JwtKey) is { } key)
        {
            publishToken ??= TokenCommand.CreateHmac(key, ["*"], []);
            subscribeToken ??= TokenCommand.CreateHmac(key, [], ["*"]);
        }

        return new BenchOptions
        {
            Hub = hub,
            Subscribers = subscribers,
            Topics = topics,
            Rate = rate,
            Messages = messages,
            Payload = payload,
            PublishToken = publishToken,
            SubscribeToken = subscribeToken,
            ConnectRate = connectRate,
            SourceIps = ParseSourceIps(parseResult.GetValue(SourceIps)),
            ServerPid = pid,
            PublishTemplate = publishTemplate,
            SubscribeTemplate = subscribeTemplate,
            Drain = parseResult.GetValue(Drain) ?? BenchOptions.DefaultDrain,
        };
    }

    internal static List<IPAddress> ParseSourceIps(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var result = new List<IPAddress>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var range = part.Split('-', 2);
            if (!IPAddress.TryParse(range[0], out var first) || first.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            {
                throw new UsageException($"--source-ips: \"{part}\" is not an IPv4 address or range");
            }

            if (range.Length == 1)
            {
                result.Add(first);
                continue;
            }

            if (!IPAddress.TryParse(range[1], out var last) || last.AddressFamily != first.AddressFamily)
            {
                throw new UsageException($"--source-ips: \"{part}\" is not an IPv4 range");
            }

            var from = ToUInt(first);
            var to = ToUInt(last);
            if (to < from || to - from >= MaxSourceIps)
            {
                throw new UsageException($"--source-ips: \"{part}\" must go upwards and hold at most {MaxSourceIps} addresses");
            }

            for (var v = from; v <= to; v++)
            {
                var bytes = BitConverter.GetBytes(v);
                Array.Reverse(bytes);
                result.Add(new IPAddress(bytes));
            }
        }

        return result;
    }

    private static uint ToUInt(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
    }

    private static int Compare(string[] files)
    {
        var runs = new List<(string, BenchResult)>();
        foreach (var file in files)
        {
            try
            {
                runs.Add((Path.GetFileNameWithoutExtension(file), BenchResult.Read(file)));
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                return Cli.Fail($"bench compare: {file}: {e.Message}");
            }
        }

        BenchCompare.Render(runs, AnsiConsole.Console);
        return Cli.Ok;
    }
}
