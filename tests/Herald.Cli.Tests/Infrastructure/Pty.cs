using System.Diagnostics;

namespace Herald.Cli.Tests.Infrastructure;

/// <summary>
/// Runs <c>herald</c> on a pseudo-terminal (util-linux <c>script</c>), for what it shows only to a person watching:
/// live progress. Everything the terminal received, escape sequences included, comes back as one string.
/// </summary>
public static class Pty
{
    /// <summary>Spectre.Console turns live output off when one of these says a CI server is running the process.</summary>
    private static readonly string[] CiVariables =
    [
        "CI", "CI_SERVER", "GITHUB_ACTIONS", "TF_BUILD", "TRAVIS", "APPVEYOR", "JENKINS_URL", "TEAMCITY_VERSION",
        "GO_SERVER_URL", "BITBUCKET_COMMIT", "BITBUCKET_REPO_OWNER", "BITBUCKET_REPO_SLUG", "BITRISE_BUILD_URL",
        "bamboo_buildNumber", "BuildRunner", "ContinuaCI.Version",
    ];

    public static async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, string workingDirectory)
    {
        var command = string.Join(' ', new[] { "dotnet", HeraldProcess.CliPath }.Concat(args).Select(Quote));
        var info = new ProcessStartInfo("script")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--quiet", "--return", "--flush", "--command", command, "/dev/null" })
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(n => n.StartsWith("HERALD_", StringComparison.OrdinalIgnoreCase) || CiVariables.Contains(n)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(HeraldProcess.WaitLimit);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
