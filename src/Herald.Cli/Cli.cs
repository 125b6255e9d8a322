using System.CommandLine;

namespace Herald.Cli;

/// <summary>Exit codes and the one-line error convention shared by every command.</summary>
internal static class Cli
{
    /// <summary>What the command is called in help and errors, whatever the executable's file name.</summary>
    public const string Name = "herald";

    public const int Ok = 0;

    /// <summary>2, as most Unix tools: the command line or configuration was wrong, not the run.</summary>
    public const int UsageError = 2;

    /// <summary>1: the configuration was understood but the hub could not start (its history file is locked, corrupt…).</summary>
    public const int StartFailure = 1;

    /// <summary>1: <c>publish</c>/<c>subscribe</c> reached for the hub and it refused (its reason on stderr) or could not be reached.</summary>
    public const int RequestFailed = 1;

    /// <summary>Writes <c>herald: message</c> as a single stderr line and returns the exit code.</summary>
    public static int Fail(string message, int exitCode = UsageError)
    {
        Console.Error.WriteLine("herald: " + message.ReplaceLineEndings(" ").Trim());
        return exitCode;
    }

    /// <summary>The parse error worth reading first: a word that is no command is named as such.</summary>
    public static string Describe(ParseResult parseResult, Command root)
    {
        if (parseResult.CommandResult.Command == root && parseResult.UnmatchedTokens is [var token, ..])
        {
            return token.StartsWith('-') ? $"unknown option '{token}'" : $"unknown command '{token}'";
        }

        return parseResult.Errors[0].Message;
    }
}

/// <summary>A mistake in flags or configuration: reported as one line, exit code 2, no stack trace.</summary>
internal sealed class UsageException(string message) : Exception(message);
