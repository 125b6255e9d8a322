using System.CommandLine;
using Herald.Client;

namespace Herald.Cli.Commands;

/// <summary><c>herald publish</c>: one update from the command line; prints its id.</summary>
internal static class PublishCommand
{
    private static readonly Option<Uri> Hub = ClientOptions.Hub();
    private static readonly Option<string[]> Topic = ClientOptions.Topic("topic of the update (repeatable: the first is canonical, the others alternates)");
    private static readonly Option<string> Data = new("--data") { Description = "the payload: text, @FILE to read a file, or - for standard input", Required = true };
    private static readonly Option<bool> KeepNewline = new("--keep-newline") { Description = "with --data -, keep the input's final newline [default: dropped, as $(…) does]" };
    private static readonly Option<bool> Private = new("--private") { Description = "deliver only to subscribers whose token grants a topic" };
    private static readonly Option<string?> Id = new("--id") { Description = "the update's id (makes retries safe) [default: assigned by the hub]" };
    private static readonly Option<string?> Type = new("--type") { Description = "the SSE event type" };
    private static readonly Option<string?> Token = ClientOptions.Token();
    private static readonly Option<string?> Key = ClientOptions.Key();

    public static Command Create()
    {
        var command = new Command("publish", "Publish one update; prints its id.") { Hub, Topic, Data, KeepNewline, Private, Id, Type, Token, Key };
        command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var topics = parseResult.GetValue(Topic) ?? [];
        string data;
        try
        {
            data = await ReadDataAsync(parseResult.GetValue(Data)!, parseResult.GetValue(KeepNewline), cancellationToken);
        }
        catch (IOException e)
        {
            return Cli.Fail("publish: cannot read --data: " + e.Message);
        }

        var token = ClientOptions.ResolveToken(parseResult.GetValue(Token), parseResult.GetValue(Key), topics, publish: true);
        var client = ClientOptions.CreateClient(parseResult.GetValue(Hub)!, token);
        try
        {
            var id = await client.PublishAsync(
                new HeraldPublication
                {
                    Topics = topics,
                    Data = data,
                    Private = parseResult.GetValue(Private),
                    Id = parseResult.GetValue(Id),
                    Type = parseResult.GetValue(Type),
                },
                cancellationToken);
            Console.Out.WriteLine(id);
            return Cli.Ok;
        }
        catch (HeraldException e)
        {
            return Cli.Fail($"publish refused ({e.StatusCode}): {e.Message}", Cli.RequestFailed);
        }
        catch (HttpRequestException e)
        {
            return Cli.Fail("publish failed: " + e.Message, Cli.RequestFailed);
        }
    }

    private static async Task<string> ReadDataAsync(string data, bool keepNewline, CancellationToken cancellationToken) => data switch
    {
        // echo and heredocs end the input with a newline nobody means as part of the payload.
        "-" when keepNewline => await Console.In.ReadToEndAsync(cancellationToken),
        "-" => WithoutFinalNewline(await Console.In.ReadToEndAsync(cancellationToken)),
        ['@', .. var path] => await File.ReadAllTextAsync(path, cancellationToken),
        _ => data,
    };

    private static string WithoutFinalNewline(string text) =>
        text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
}
