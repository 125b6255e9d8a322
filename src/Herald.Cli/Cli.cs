namespace Herald.Cli;

/// <summary>Exit codes and the one-line error convention shared by every command.</summary>
internal static class Cli
{
    public const int Ok = 0;

    /// <summary>2, as most Unix tools: the command line or configuration was wrong, not the run.</summary>
    public const int UsageError = 2;

    /// <summary>Writes <c>herald: message</c> as a single stderr line and returns <see cref="UsageError"/>.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine("herald: " + message.ReplaceLineEndings(" ").Trim());
        return UsageError;
    }
}

/// <summary>A mistake in flags or configuration: reported as one line, exit code 2, no stack trace.</summary>
internal sealed class UsageException(string message) : Exception(message);
