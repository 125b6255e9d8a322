using System.Net;
using System.Net.Sockets;
using Herald.Cli.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary>Every mistake is one stderr line and exit code 2, never a stack trace.</summary>
public sealed class ErrorTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Theory]
    [InlineData("serve", "--no-such-flag")]
    [InlineData("serve", "--heartbeat", "abc")]
    [InlineData("serve", "--listen", "nowhere")]
    [InlineData("serve", "--jwt-key", "too-short")]
    [InlineData("serve", "--config", "missing.json")]
    [InlineData("token", "--key", "too-short")]
    public async Task A_bad_flag_is_one_line_on_stderr_and_exit_code_2(params string[] args)
    {
        await AssertUsageErrorAsync(args, null);
    }

    [Fact]
    public async Task A_bad_environment_value_is_exit_code_2()
    {
        var message = await AssertUsageErrorAsync(["serve"], new Dictionary<string, string> { ["HERALD_HEARTBEAT"] = "abc" });
        Assert.Contains("HERALD_", message);
        Assert.Contains("Heartbeat", message);
    }

    [Fact]
    public async Task Malformed_herald_json_is_exit_code_2()
    {
        _directory.Write("herald.json", "{ \"Herald\": ");
        await AssertUsageErrorAsync(["serve"], null);
    }

    [Fact]
    public async Task A_port_in_use_is_exit_code_2()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var message = await AssertUsageErrorAsync(["serve", "--anonymous", "--listen", $"127.0.0.1:{port}"], null);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), message);
    }

    public void Dispose() => _directory.Dispose();

    private async Task<string> AssertUsageErrorAsync(string[] args, IDictionary<string, string>? environment)
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync(args, _directory.Path, environment);

        Assert.True(exitCode == 2, $"exit code {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one stderr line, got:\n{stderr}");
        Assert.StartsWith("herald: ", lines[0]);
        Assert.DoesNotContain("   at ", stderr + stdout);
        return lines[0];
    }
}
