using Microsoft.Extensions.Options;

namespace Herald.Benchmarks;

/// <summary>Options that never change, for building hub parts by hand outside a host.</summary>
internal sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
