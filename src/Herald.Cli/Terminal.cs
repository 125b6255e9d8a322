using Spectre.Console;

namespace Herald.Cli;

/// <summary>Standard output as the reports see it: a terminal gets live progress and its own width; a pipe or file neither.</summary>
internal static class Terminal
{
    /// <summary>
    /// Wider than any report line: a pipe or file has no width to fit, and Spectre would otherwise assume 80 columns,
    /// wrapping sentences and truncating table headers ("commen…").
    /// </summary>
    public const int RedirectedWidth = 4096;

    /// <summary>Live progress is drawn only where someone watches it, never into a file or a script's pipe.</summary>
    public static bool IsInteractive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;

    /// <summary>Called once, before any command writes.</summary>
    public static void Configure()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = RedirectedWidth;
        }
    }
}
