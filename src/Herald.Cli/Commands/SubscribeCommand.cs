using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Herald.Client;

namespace Herald.Cli.Commands;

/// <summary><c>herald subscribe</c>: prints updates as they arrive, resuming across disconnections, until Ctrl-C.</summary>
internal static class SubscribeCommand
{
    private static readonly Option<Uri> Hub = ClientOptions.Hub();
    private static readonly Option<string[]> Topic = ClientOptions.Topic("topic selector to subscribe to (repeatable; '*' or an RFC 6570 template)");
    private static readonly Option<string?> LastEventId = new("--last-event-id") { Description = "resume after this id ('earliest' for everything retained)" };
    private static readonly Option<bool> Json = new("--json") { Description = "one JSON object per update and line: {id, type, data, retry}" };
    private static readonly Option<string?> Token = ClientOptions.Token();
    private static readonly Option<string?> Key = ClientOptions.Key();

    /// <summary>Lines are read by people and by scripts, never embedded in a page: quotes stay \", not \u0022.</summary>
    private static readonly JsonSerializerOptions JsonLines = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, TypeInfoResolver = CliJson.Default };

    public static Command Create()
    {
        var command = new Command("subscribe", "Print updates as they arrive (until Ctrl-C).") { Hub, Topic, LastEventId, Json, Token, Key };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var topics = parseResult.GetValue(Topic) ?? [];
        var json = parseResult.GetValue(Json);
        var token = ClientOptions.ResolveToken(parseResult.GetValue(Token), parseResult.GetValue(Key), topics, publish: false);
        var client = ClientOptions.CreateClient(parseResult.GetValue(Hub)!, token);
        var options = new SubscribeOptions
        {
            OnGap = id => Console.Error.WriteLine($"herald: the hub no longer has {id}: updates may have been missed"),
            OnReconnecting = (error, delay) => Console.Error.WriteLine($"herald: reconnecting in {delay.TotalSeconds:0.#} s{(error is null ? "" : ": " + error.Message)}"),
        };
        try
        {
            await foreach (var update in client.SubscribeAsync(topics, parseResult.GetValue(LastEventId), options, cancellationToken))
            {
                Console.Out.WriteLine(json
                    ? JsonSerializer.Serialize(new SubscribedUpdate(update.Id, update.Type, update.Data, update.Retry?.TotalMilliseconds), (JsonTypeInfo<SubscribedUpdate>)JsonLines.GetTypeInfo(typeof(SubscribedUpdate)))
                    : $"{update.Id} {update.Type}: {update.Data}");
                Console.Out.Flush();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (HeraldException e)
        {
            return Cli.Fail($"subscribe refused ({e.StatusCode}): {e.Message}", Cli.RequestFailed);
        }

        return Cli.Ok;
    }
}
