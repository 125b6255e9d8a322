namespace Herald.Tests.Protocol;

/// <summary>Protocol/ is the domain: it knows no HTTP. Errors carry a kind; the HTTP edge alone picks statuses.</summary>
public class ProtocolLayerTests
{
    [Fact]
    public void No_type_in_protocol_references_asp_net_core()
    {
        var folder = Path.Combine(RepositoryRoot(), "src", "Herald", "Protocol");
        var files = Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories);
        Assert.NotEmpty(files);

        // Source, not reflection: StatusCodes are constants, compiled into the caller without a type reference.
        var offenders = files.Where(f => File.ReadAllText(f).Contains("Microsoft.AspNetCore", StringComparison.Ordinal)).Select(Path.GetFileName).ToList();
        Assert.Empty(offenders);

        var protocolTypes = typeof(HeraldOptions).Assembly.GetTypes().Where(t => t.Namespace == "Herald.Protocol").ToList();
        Assert.NotEmpty(protocolTypes);
        foreach (var type in protocolTypes)
        {
            var referenced = type.GetFields(AllMembers).Select(f => f.FieldType)
                .Concat(type.GetProperties(AllMembers).Select(p => p.PropertyType))
                .Concat(type.GetMethods(AllMembers).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)))
                .Append(type.BaseType)
                .OfType<Type>();
            Assert.DoesNotContain(referenced, t => t.Assembly.GetName().Name!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        }
    }

    private const System.Reflection.BindingFlags AllMembers =
        System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance
        | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.DeclaredOnly;

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Herald.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Herald.slnx not found above " + AppContext.BaseDirectory);
    }
}
