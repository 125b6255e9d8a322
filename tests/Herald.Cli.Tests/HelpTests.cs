using Herald.Cli.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary>The command calls itself <c>herald</c>, as installed, whatever its assembly is named.</summary>
public sealed class HelpTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task Herald_alone_prints_help_naming_itself_herald()
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync([], _directory.Path);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("herald [command] [options]", stdout);
        Assert.Contains("serve", stdout);
        Assert.DoesNotContain("Herald.Cli", stdout + stderr);
    }

    [Fact]
    public async Task A_commands_help_names_it_herald_too()
    {
        var (exitCode, stdout, _) = await HeraldProcess.RunAsync(["probe", "--help"], _directory.Path);

        Assert.Equal(0, exitCode);
        Assert.Contains("herald probe <url> [options]", stdout);
        Assert.DoesNotContain("Herald.Cli", stdout);
    }

    [Theory]
    [InlineData("frobnicate", "herald: unknown command 'frobnicate' (see 'herald --help')")]
    [InlineData("--frobnicate", "herald: unknown option '--frobnicate' (see 'herald --help')")]
    public async Task An_unknown_command_is_named(string word, string expected)
    {
        var (exitCode, stdout, stderr) = await HeraldProcess.RunAsync([word], _directory.Path);

        Assert.Equal(2, exitCode);
        Assert.Equal("", stdout);
        Assert.Equal(expected, stderr.Trim());
    }

    public void Dispose() => _directory.Dispose();
}
