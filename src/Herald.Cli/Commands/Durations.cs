using System.CommandLine;
using Herald.Cli.Configuration;

namespace Herald.Cli.Commands;

/// <summary>Positive duration options for the diagnostic commands, in the CLI's usual syntax.</summary>
internal static class Durations
{
    public static Option<TimeSpan?> Option(string name, string description) => new(name)
    {
        Description = $"{description} ({Duration.Syntax})",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Duration.TryParse(text, out var value) && value > TimeSpan.Zero)
            {
                return value;
            }

            result.AddError($"{name}: \"{text}\" is not a positive {Duration.Syntax}");
            return null;
        },
    };
}
