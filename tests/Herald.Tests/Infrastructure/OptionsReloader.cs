using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// Stands in for a configuration file being edited: <see cref="Reload"/> makes the options monitor re-run the hub's
/// configure actions and notify listeners, synchronously, as a real reload would.
/// </summary>
public sealed class OptionsReloader : IOptionsChangeTokenSource<HeraldOptions>
{
    private CancellationTokenSource _changed = new();

    public string? Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => new CancellationChangeToken(_changed.Token);

    public void Reload()
    {
        var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        previous.Cancel();
        previous.Dispose();
    }
}
