using System.Diagnostics;
using System.Text.Json;

namespace Herald.Tests.Interop;

/// <summary>
/// Runs Debian's symfony/mercure publisher (<c>php-symfony-mercure</c>, installed by <c>.ci/run</c>) through
/// <c>symfony-publish.php</c>: the 0.x publisher deployed Symfony and API Platform apps use.
/// </summary>
public static class SymfonyPublisher
{
    public sealed record Update(string[] Topics, string Data = "", bool Private = false, string? Id = null, string? Type = null, int? Retry = null);

    /// <summary>Publishes every update in one PHP run; returns what the hub answered for each (its id, or "refused: …").</summary>
    public static async Task<string[]> PublishAsync(Uri hubUrl, string jwt, params Update[] updates)
    {
        var json = JsonSerializer.Serialize(updates.Select(u => new Dictionary<string, object?>
        {
            ["topics"] = u.Topics,
            ["data"] = u.Data,
            ["private"] = u.Private,
            ["id"] = u.Id,
            ["type"] = u.Type,
            ["retry"] = u.Retry,
        }));
        var start = new ProcessStartInfo("php")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Interop", "symfony-publish.php"));
        start.ArgumentList.Add(hubUrl.ToString());
        start.ArgumentList.Add(jwt);
        start.ArgumentList.Add(json);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("php did not start: install php-cli and php-symfony-mercure (.ci/run does)");
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(limit.Token);
        var error = process.StandardError.ReadToEndAsync(limit.Token);
        await process.WaitForExitAsync(limit.Token);
        Assert.True(process.ExitCode == 0, $"php exited {process.ExitCode}: {await error}");
        return (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
