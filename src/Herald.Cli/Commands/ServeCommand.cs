using System.CommandLine;
using System.CommandLine.Parsing;
using Herald.Cli.Configuration;
using Herald.Cli.Hosting;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Cli.Commands;

/// <summary><c>herald serve</c>: a thin host over the Herald library.</summary>
internal static class ServeCommand
{
    private static readonly Option<string?> Listen = new("--listen")
    {
        Description = $"host:port or [ipv6]:port to listen on; 127.0.0.1:0 picks a free port [default: {ListenAddress.Default}, or 0.0.0.0:$PORT when PORT is set]",
    };

    private static readonly Option<string?> JwtKey = new("--jwt-key") { Description = "HMAC key (>= 32 bytes) for publisher and subscriber tokens" };
    private static readonly Option<string?> PublisherKey = new("--publisher-key") { Description = "HMAC key for publisher tokens (overrides --jwt-key)" };
    private static readonly Option<string?> SubscriberKey = new("--subscriber-key") { Description = "HMAC key for subscriber tokens (overrides --jwt-key)" };
    private static readonly Option<bool> Anonymous = new("--anonymous") { Description = "let subscribers without a token receive public updates" };
    private static readonly Option<TimeSpan?> Heartbeat = DurationOption("--heartbeat", "longest silence on a stream before a heartbeat comment; 0 disables");
    private static readonly Option<int?> HistoryMaxCount = new("--history-max-count") { Description = "most updates kept for Last-Event-ID replay" };
    private static readonly Option<TimeSpan?> HistoryMaxAge = DurationOption("--history-max-age", "oldest update kept for replay");
    private static readonly Option<long?> HistoryMaxBytes = new("--history-max-bytes") { Description = "most bytes of updates kept for replay" };
    private static readonly Option<long?> MaxRequestBodySize = new("--max-request-body-size") { Description = "largest publish body in bytes (larger gets 413)" };
    private static readonly Option<string?> Store = new("--store")
    {
        Description = $"where history is kept: memory, sqlite:PATH, or redis://[user:pass@]HOST[:PORT][/DB][?prefix=P] (rediss:// for TLS) to run several nodes as one hub [default: {ServeSettings.DefaultStore}]",
    };

    private static readonly Option<string?> ConfigFile = new("--config") { Description = "extra JSON configuration file (section \"Herald\"), above herald.json and below environment variables" };

    public static Command Create()
    {
        var command = new Command("serve", "Run the hub.")
        {
            Listen, JwtKey, PublisherKey, SubscriberKey, Anonymous, Heartbeat,
            Store, HistoryMaxCount, HistoryMaxAge, HistoryMaxBytes, MaxRequestBodySize, ConfigFile,
        };
        command.SetAction((parseResult, _) => RunAsync(ReadFlags(parseResult)));
        return command;
    }

    private static ServeFlags ReadFlags(ParseResult parseResult) => new()
    {
        Listen = parseResult.GetValue(Listen),
        JwtKey = parseResult.GetValue(JwtKey),
        PublisherKey = parseResult.GetValue(PublisherKey),
        SubscriberKey = parseResult.GetValue(SubscriberKey),
        Anonymous = parseResult.GetResult(Anonymous) is null ? null : parseResult.GetValue(Anonymous),
        Heartbeat = parseResult.GetValue(Heartbeat),
        HistoryMaxCount = parseResult.GetValue(HistoryMaxCount),
        HistoryMaxAge = parseResult.GetValue(HistoryMaxAge),
        HistoryMaxBytes = parseResult.GetValue(HistoryMaxBytes),
        MaxRequestBodySize = parseResult.GetValue(MaxRequestBodySize),
        ConfigFile = parseResult.GetValue(ConfigFile),
        Store = parseResult.GetValue(Store),
    };

    private static async Task<int> RunAsync(ServeFlags flags)
    {
        try
        {
            var settings = ServeSettings.Load(flags, Directory.GetCurrentDirectory());
            return await ServeHost.RunAsync(settings);
        }
        catch (UsageException e)
        {
            return Cli.Fail(e.Message);
        }
        catch (OptionsValidationException e)
        {
            return Cli.Fail("invalid configuration: " + string.Join("; ", e.Failures));
        }
        catch (HistoryStoreException e)
        {
            return Cli.Fail(e.Message, Cli.StartFailure);
        }
        catch (IOException e)
        {
            // Kestrel's bind failures (address in use, not available) arrive as IOException with a clear message.
            return Cli.Fail(e.Message);
        }
    }

    private static Option<TimeSpan?> DurationOption(string name, string description) => new(name)
    {
        Description = $"{description} ({Duration.Syntax})",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Duration.TryParse(text, out var value))
            {
                return value;
            }

            result.AddError($"{name}: \"{text}\" is not {Duration.Syntax}");
            return null;
        },
    };
}
