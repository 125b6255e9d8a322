namespace Herald.Client;

/// <summary>
/// A retained topic as "the current value": the hub sends its latest value first (at once, to a subscriber without a
/// cursor), then every change; reconnections resume after the snapshot. Follows until disposed.
/// </summary>
public sealed class HeraldCurrentValue<T> : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<T> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;
    private readonly Func<string, T> _parse;
    private HeraldUpdate? _update;
    private T? _value;

    internal HeraldCurrentValue(HeraldClient client, string topic, Func<string, T> parse, SubscribeOptions? options)
    {
        Topic = topic;
        _parse = parse;
        _loop = Task.Run(() => FollowAsync(client, options));
    }

    public string Topic { get; }

    /// <summary>The latest value; default until the first one arrived (see <see cref="FirstValueAsync"/>).</summary>
    public T? Value => Volatile.Read(ref _update) is null ? default : _value;

    /// <summary>The update that carried the latest value (its id and type); null before the first.</summary>
    public HeraldUpdate? Update => Volatile.Read(ref _update);

    /// <summary>Raised with every new value, the first one too, on the follower's own task.</summary>
    public event Action<T>? Changed;

    /// <summary>Why following stopped (the hub refused the subscription for good); null while it follows.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Completes with the first value (at once for a retained topic that has one).</summary>
    public Task<T> FirstValueAsync(CancellationToken cancellationToken = default) => _first.Task.WaitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task FollowAsync(HeraldClient client, SubscribeOptions? options)
    {
        try
        {
            await foreach (var update in client.SubscribeAsync([Topic], null, options, options?.Deltas ?? true, _stop.Token).ConfigureAwait(false))
            {
                var value = _parse(update.Data);
                _value = value;
                Volatile.Write(ref _update, update);
                _first.TrySetResult(value);
                Changed?.Invoke(value);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A refusal for good, or a value the parser cannot read: following stops, and says why.
            Error = e;
            _first.TrySetException(e);
            return;
        }

        _first.TrySetCanceled();
    }
}
