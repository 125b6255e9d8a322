using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;

namespace Herald.Cli.Tests.Infrastructure;

/// <summary>
/// A real <c>herald</c> process (<c>dotnet Herald.Cli.dll …</c>) in its own working directory, with a clean
/// <c>HERALD_*</c>/<c>PORT</c> environment. Output lines arrive on channels the test awaits; Dispose kills it.
/// </summary>
public sealed class HeraldProcess : IAsyncDisposable
{
    public const string Key = "cli-test-secret-key-that-is-long-enough-for-hs256!";

    /// <summary>Generous: covers a cold JIT start on a loaded CI machine.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly StringBuilder _stdoutText = new();
    private readonly StringBuilder _stderrText = new();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HeraldProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stdout.Writer.TryComplete();
                _stdoutClosed.TrySetResult();
                return;
            }

            lock (_lock)
            {
                _stdoutText.AppendLine(e.Data);
            }

            _stdout.Writer.TryWrite(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _stderrClosed.TrySetResult();
                return;
            }

            lock (_lock)
            {
                _stderrText.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Where the build put the CLI, recorded in this assembly by the test project.</summary>
    public static string CliPath { get; } = typeof(HeraldProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "HeraldCliPath").Value!;

    public string Stdout
    {
        get
        {
            lock (_lock)
            {
                return _stdoutText.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return _stderrText.ToString();
            }
        }
    }

    public int Id => _process.Id;

    /// <param name="standardInput">Written to the process's stdin, which is then closed; without it stdin stays open and empty.</param>
    public static HeraldProcess Start(IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? environment = null, string? standardInput = null)
    {
        Assert.True(File.Exists(CliPath), $"the CLI is not built at {CliPath}");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.ToList())
        {
            if (name.StartsWith("HERALD_", StringComparison.OrdinalIgnoreCase) || name == "PORT")
            {
                info.Environment.Remove(name);
            }
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }

        return new HeraldProcess(process);
    }

    /// <summary>Runs a command to completion (token, a failing serve); returns its exit code.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? environment = null, string? standardInput = null)
    {
        await using var process = Start(args, workingDirectory, environment, standardInput);
        var exitCode = await process.WaitForExitAsync();
        return (exitCode, process.Stdout, process.Stderr);
    }

    /// <summary>Starts <c>herald serve --listen 127.0.0.1:0 …</c> and waits for the line naming the bound address.</summary>
    public static async Task<(HeraldProcess Process, Uri BaseAddress)> ServeAsync(IEnumerable<string> args, string workingDirectory, IDictionary<string, string>? environment = null)
    {
        var process = Start(["serve", "--listen", "127.0.0.1:0", .. args], workingDirectory, environment);
        try
        {
            const string prefix = "Herald listening on ";
            var line = await process.WaitForLineAsync(l => l.StartsWith(prefix, StringComparison.Ordinal));
            return (process, new Uri(line[prefix.Length..].Split(' ')[0]));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>The next stdout line matching <paramref name="predicate"/>; fails if the process ends or stays silent.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(WaitLimit);
        try
        {
            await foreach (var line in _stdout.Reader.ReadAllAsync(timeout.Token))
            {
                if (predicate(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no matching line within {WaitLimit}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        throw new InvalidOperationException($"herald exited ({_process.ExitCode}) first.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
    }

    /// <summary>Waits for exit and for both output streams to drain; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(WaitLimit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"herald did not exit within {WaitLimit}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as a service manager or container runtime would (<see cref="Process.Kill()"/> is SIGKILL).</summary>
    public void Terminate()
    {
        Assert.True(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGTERM needs a Unix");
        Assert.Equal(0, SendSignal(_process.Id, SigTerm));
    }

    /// <summary>SIGKILL: the process gets no chance to flush or close anything, as in a crash.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
