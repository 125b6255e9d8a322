using System.CommandLine;
using Herald.Cli.Configuration;

namespace Herald.Cli.Commands;

/// <summary>Duration options in the CLI's one syntax (<see cref="Duration"/>), positive unless zero means "off".</summary>
internal static class Durations
{
    public static Option<TimeSpan?> Option(string name, string description, bool allowZero = false) => new(name)
    {
        Description = $"{description} ({Duration.Examples})",
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (!Duration.TryParse(text, out var value, out var error))
            {
                result.AddError($"{name}: {error}");
                return null;
            }

            if (value > TimeSpan.Zero || (allowZero && value == TimeSpan.Zero))
            {
                return value;
            }

            result.AddError($"{name}: \"{text}\" is not a {(allowZero ? "non-negative" : "positive")} duration (like {Duration.Examples})");
            return null;
        },
    };
}
