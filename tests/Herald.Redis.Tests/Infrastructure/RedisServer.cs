using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Herald.Cli.Tests.Infrastructure;

namespace Herald.Redis.Tests.Infrastructure;

/// <summary>
/// A private <c>redis-server</c> on a free 127.0.0.1 port, persisting with <c>appendonly yes</c> and
/// <c>appendfsync always</c> into its own directory (or, when asked, not persisting at all: a restart comes back empty),
/// so a test can kill and restart it without touching another's.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    /// <summary>Generous: a cold start on a loaded CI machine; it is normally ready in milliseconds.</summary>
    public static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new();
    private Process? _process;

    private readonly bool _persistent;

    private RedisServer(int port, bool persistent)
    {
        Port = port;
        _persistent = persistent;
    }

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    /// <param name="persistent">False: no AOF and no snapshots, as a cache-only Redis; a restart starts it empty.</param>
    public static async Task<RedisServer> StartAsync(bool persistent = true)
    {
        var server = new RedisServer(FreePort(), persistent);
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts the server (again, on the same port and data) and returns once it accepts connections.</summary>
    public async Task RestartAsync()
    {
        Assert.True(_process is null || _process.HasExited, "redis-server is already running");
        var info = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", _persistent ? "yes" : "no", "--appendfsync", "always", "--dir", _directory.Path,
        })
        {
            info.ArgumentList.Add(arg);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("redis-server is not installed: apt-get install redis-server (.ci/run does this)", e);
        }

        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException("redis-server exited:\n" + log));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await ready.Task.WaitAsync(StartLimit);
    }

    /// <summary>Empties every database with redis-cli, as an operator's FLUSHALL would.</summary>
    public async Task FlushAllAsync() => Assert.Equal("OK", await CliAsync("FLUSHALL"));

    /// <summary>Runs one command with <c>redis-cli</c>, as an operator would, and returns its trimmed output.</summary>
    public async Task<string> CliAsync(params string[] command)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. command])
        {
            info.ArgumentList.Add(arg);
        }

        using var cli = Process.Start(info)!;
        var output = cli.StandardOutput.ReadToEndAsync();
        var error = cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync();
        Assert.True(cli.ExitCode == 0, $"redis-cli {string.Join(' ', command)} failed: {await error}");
        return (await output).Trim();
    }

    /// <summary>SIGKILL: no shutdown save; only what <c>appendfsync always</c> already wrote survives.</summary>
    public async Task KillAsync()
    {
        var process = _process!;
        process.Kill();
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _directory.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
