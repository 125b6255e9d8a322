namespace Herald.Cli.Tests.Infrastructure;

/// <summary>A private working directory per test, so one test's herald.json never reaches another.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("herald-cli-test-").FullName;
    }

    public string Path { get; }

    public void Write(string name, string content) => File.WriteAllText(System.IO.Path.Combine(Path, name), content);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process still closing may hold the directory; the OS cleans temp eventually.
        }
    }
}
