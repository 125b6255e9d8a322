using Herald.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Fanout;

/// <summary>
/// On shutdown, ends every stream with a <c>retry:</c> drawn at random, so clients spread their reconnections
/// instead of all hitting the next node in the same second.
/// </summary>
internal sealed partial class GracefulShutdown : IHostedService
{
    /// <summary>The earliest a client is told to come back.</summary>
    public static readonly TimeSpan MinimumReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly SubscriberIndex _index;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly HeraldOptions _options;
    private readonly ILogger<GracefulShutdown> _logger;
    private CancellationTokenRegistration _registration;

    private readonly HeraldMetrics _metrics;

    public GracefulShutdown(SubscriberIndex index, IHostApplicationLifetime lifetime, IOptions<HeraldOptions> options, HeraldMetrics metrics, ILogger<GracefulShutdown> logger)
    {
        _metrics = metrics;
        _index = index;
        _lifetime = lifetime;
        _options = options.Value;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = _lifetime.ApplicationStopping.Register(CloseAll);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The shutdown sweep; streams registered after it are closed the same way as they arrive (the index remembers).</summary>
    internal void CloseAll()
    {
        var min = (long)MinimumReconnectDelay.TotalMilliseconds;
        var max = Math.Max(min + 1, (long)_options.ShutdownReconnectSpread.TotalMilliseconds);
        var count = _index.CloseAll(() => SseFrame.RetryHint(Random.Shared.NextInt64(min, max)), "the hub is shutting down");
        for (var i = 0; i < count; i++)
        {
            _metrics.Dropped(HeraldMetrics.DropReason.Shutdown);
        }

        LogClosing(_logger, count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: ended {Count} streams with a randomized retry")]
    private static partial void LogClosing(ILogger logger, int count);
}
