using System.Diagnostics;

namespace Herald.Cli.Tests.Infrastructure;

/// <summary>Real headless Chromium (Debian's <c>chromium</c>, installed by .ci/run): loads a page, runs its scripts, returns the DOM.</summary>
public static class Chromium
{
    /// <summary>A cold Chromium start on a loaded 2-core machine takes seconds; this is a hang, not slowness.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    public static async Task<string> DumpDomAsync(string htmlFile)
    {
        using var profile = new TempDirectory();
        var info = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile.Path, "--dump-dom", new Uri(htmlFile).AbsoluteUri])
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start (is it installed? .ci/run installs it)");
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            var dom = await stdout;
            Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
            return dom;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }
}
