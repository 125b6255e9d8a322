using System.Diagnostics;
using Herald.Cli.Tests.Infrastructure;

namespace Herald.Cli.Tests;

/// <summary>
/// <c>dotnet tool install</c> of what <c>scripts/pack-tool.sh --portable</c> packs: the pointer package and the portable
/// Herald.Cli.any it points to. The native linux-x64 package takes minutes of Native AOT compilation, so it is not
/// packed here; README.md has its commands. Filter with <c>--filter Category=ToolPack</c> (or <c>Category!=ToolPack</c>).
/// </summary>
[Trait("Category", Category)]
[Collection(Category)]
public sealed class ToolPackageTests : IDisposable
{
    public const string Category = "ToolPack";

    /// <summary>A cold Release build of four projects, two packs and an install, on a loaded 2-core machine.</summary>
    private static readonly TimeSpan StepLimit = TimeSpan.FromMinutes(3);

    private readonly TempDirectory _directory = new();

    [Fact]
    public async Task The_portable_tool_packs_installs_with_dotnet_tool_install_and_runs_as_herald()
    {
        // A copy of the sources, so packing writes no bin/obj (nor a restore for RID `any`) into the checkout under test.
        var source = Path.Combine(_directory.Path, "src-copy");
        CopySources(FindRepositoryRoot(), source);
        var packages = Path.Combine(_directory.Path, "pkg");

        var pack = await RunAsync("bash", ["scripts/pack-tool.sh", "--portable", packages], source);
        Assert.True(pack.ExitCode == 0, pack.Output);
        Assert.True(File.Exists(Path.Combine(packages, "Herald.Cli.1.0.0.nupkg")), pack.Output);
        Assert.True(File.Exists(Path.Combine(packages, "Herald.Cli.any.1.0.0.nupkg")), pack.Output);

        var tools = Path.Combine(_directory.Path, "tools");
        var install = await RunAsync("dotnet", ["tool", "install", "Herald.Cli", "--tool-path", tools, "--add-source", packages], _directory.Path);
        Assert.True(install.ExitCode == 0, install.Output);
        // The pointer sent the install to the fallback (the SDK keeps each package under .store/<id>/<version>/).
        Assert.True(Directory.Exists(Path.Combine(tools, ".store", "herald.cli", "1.0.0", "herald.cli.any")), install.Output);

        var version = await RunAsync(Path.Combine(tools, "herald"), ["--version"], _directory.Path);
        Assert.True(version.ExitCode == 0, version.Output);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Output.Trim());
    }

    public void Dispose() => _directory.Dispose();

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(Path.GetDirectoryName(HeraldProcess.CliPath)!);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no Herald.slnx above {HeraldProcess.CliPath}");
    }

    /// <summary>What a pack reads: the build props, the pack script and src/, without build output.</summary>
    private static void CopySources(string root, string target)
    {
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "scripts/pack-tool.sh" })
        {
            var to = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(Path.Combine(root, file), to);
        }

        var src = Path.Combine(root, "src");
        foreach (var file in Directory.EnumerateFiles(src, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(src, file);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("bin") || parts.Contains("obj"))
            {
                continue;
            }

            var to = Path.Combine(target, "src", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // dotnet test's own MSBuild settings would point the child build at the test run's MSBuild.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        // No MSBuild node or compiler server outlives the test.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StepLimit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"{fileName} {string.Join(' ', start.ArgumentList)} took over {StepLimit}\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>
/// Two Release builds take both cores of a CI machine for a minute: alone, after the other collections, so the CLI
/// tests' start-up waits don't run against them.
/// </summary>
[CollectionDefinition(ToolPackageTests.Category, DisableParallelization = true)]
public sealed class ToolPackageCollection;
