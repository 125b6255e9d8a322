namespace Herald.Cli;

/// <summary>Exit codes and the one-line error convention shared by every command.</summary>
internal static class Cli
{
    public const int Ok = 0;

    /// <summary>2, as most Unix tools: the command line or configuration was wrong, not the run.</summary>
    public const int UsageError = 2;

    /// <summary>1: the configuration was understood but the hub could not start (its history file is locked, corrupt…).</summary>
    public const int StartFailure = 1;

    /// <summary>Writes <c>herald: message</c> as a single stderr line and returns the exit code.</summary>
    public static int Fail(string message, int exitCode = UsageError)
    {
        Console.Error.WriteLine("herald: " + message.ReplaceLineEndings(" ").Trim());
        return exitCode;
    }
}

/// <summary>A mistake in flags or configuration: reported as one line, exit code 2, no stack trace.</summary>
internal sealed class UsageException(string message) : Exception(message);
