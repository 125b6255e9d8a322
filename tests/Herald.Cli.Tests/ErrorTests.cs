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

    /// <summary>TimeSpan reads a bare 3 as three days: every duration flag refuses it and shows the fix.</summary>
    [Theory]
    [InlineData("serve", "--heartbeat", "3")]
    [InlineData("serve", "--history-max-age", "3")]
    [InlineData("token", "--key", HeraldProcess.Key, "--publish", "*", "--ttl", "3")]
    [InlineData("probe", "http://127.0.0.1:9/.well-known/mercure?topic=x", "--duration", "3")]
    [InlineData("probe", "http://127.0.0.1:9/.well-known/mercure?topic=x", "--expect-heartbeat", "3")]
    [InlineData("bench", "--hub", "http://127.0.0.1:9/.well-known/mercure", "--duration", "3")]
    [InlineData("bench", "--hub", "http://127.0.0.1:9/.well-known/mercure", "--drain", "3")]
    public async Task A_duration_without_a_unit_is_refused_with_the_fix(params string[] args)
    {
        var message = await AssertUsageErrorAsync(args, null);

        Assert.Contains($"{args[^2]}: \"3\" has no unit: write 3s", message);
    }

    [Fact]
    public async Task A_bad_environment_value_names_the_variable()
    {
        var message = await AssertUsageErrorAsync(["serve"], new Dictionary<string, string> { ["HERALD_HEARTBEAT"] = "abc" });
        Assert.Contains("HERALD_HEARTBEAT: \"abc\" is not a duration", message);
    }

    [Fact]
    public async Task A_duration_without_a_unit_in_the_environment_is_refused_with_the_fix()
    {
        var message = await AssertUsageErrorAsync(["serve"], new Dictionary<string, string> { ["HERALD_HEARTBEAT"] = "3" });
        Assert.Contains("HERALD_HEARTBEAT: \"3\" has no unit: write 3s", message);
    }

    [Fact]
    public async Task A_duration_without_a_unit_in_herald_json_names_the_file_and_key()
    {
        _directory.Write("herald.json", """{ "Herald": { "Heartbeat": "3" } }""");
        var message = await AssertUsageErrorAsync(["serve"], null);
        Assert.Contains("herald.json: Herald:Heartbeat: \"3\" has no unit: write 3s", message);
    }

    [Fact]
    public async Task Malformed_herald_json_names_the_file()
    {
        _directory.Write("herald.json", "{ \"Herald\": ");
        var message = await AssertUsageErrorAsync(["serve"], null);
        Assert.StartsWith("herald: herald.json is not valid JSON: ", message);
    }

    [Theory]
    [InlineData("herald.json", """{ "Herald": { "Hearbeat": "5s" } }""", "herald.json: Herald:Hearbeat: unknown setting")]
    [InlineData("appsettings.json", """{ "Herald": { "JwtKeys": [ { "Key": "k", "Kid": "1" } ] } }""", "appsettings.json: Herald:JwtKeys:0:Kid: unknown setting")]
    [InlineData("herald.json", """{ "Herald": { "Redis": { "Timeout": "5s" } } }""", "herald.json: Herald:Redis:Timeout: unknown setting")]
    public async Task An_unknown_key_in_a_file_names_the_file_and_key(string file, string json, string expected)
    {
        _directory.Write(file, json);
        var message = await AssertUsageErrorAsync(["serve"], null);
        Assert.Contains(expected, message);
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

    [Fact]
    public async Task A_store_not_understood_lists_every_scheme_redis_included()
    {
        var message = await AssertUsageErrorAsync(["serve", "--anonymous", "--store", "redis:/localhost"], null);

        Assert.Contains("\"memory\"", message);
        Assert.Contains("\"sqlite:PATH\"", message);
        Assert.Contains("\"redis://[user:pass@]HOST[:PORT][/DB][?prefix=P]\"", message);
        Assert.Contains("\"rediss://…\"", message);
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
