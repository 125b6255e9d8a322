using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Herald.Cli.Tests.Infrastructure;

namespace Herald.Redis.Tests.Infrastructure;

/// <summary>nginx running <c>docs/deploy/nginx.conf</c> in the foreground, with the example's addresses replaced.</summary>
public sealed class Nginx : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly Process _process;

    private Nginx(Process process, TempDirectory directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static string ExampleConfigPath { get; } = Path.Combine(RepositoryRoot(), "docs", "deploy", "nginx.conf");

    public static Nginx Start(Uri nodeA, Uri nodeB)
    {
        var port = FreePort();
        var config = File.ReadAllText(ExampleConfigPath)
            .Replace("127.0.0.1:5081", $"127.0.0.1:{nodeA.Port}", StringComparison.Ordinal)
            .Replace("127.0.0.1:5082", $"127.0.0.1:{nodeB.Port}", StringComparison.Ordinal)
            .Replace("listen 127.0.0.1:8080", $"listen 127.0.0.1:{port}", StringComparison.Ordinal);
        var directory = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(directory.Path, "logs"));
        directory.Write("nginx.conf", config);
        var info = new ProcessStartInfo("nginx") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-p", directory.Path, "-c", Path.Combine(directory.Path, "nginx.conf"), "-e", "stderr", "-g", "daemon off; pid nginx.pid;" })
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            var process = Process.Start(info)!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Nginx(process, directory, port);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("nginx is not installed: apt-get install nginx (.ci/run does this)", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _directory.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Herald.slnx) above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
