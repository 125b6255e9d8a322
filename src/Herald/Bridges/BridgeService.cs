using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Bridges;

/// <summary>Runs every configured bridge, each on its own loop (<see cref="BridgePoller"/>).</summary>
internal sealed class BridgeService : BackgroundService
{
    private readonly HttpClient _http;
    private readonly IReadOnlyList<BridgePoller> _pollers;

    public BridgeService(IOptions<HeraldOptions> options, IHeraldPublisher publisher, Storage.IHistoryStore store, ITopicInterest interest, IBridgeLease lease, HeraldMetrics metrics, TimeProvider time, ILogger<BridgeService> logger)
    {
        // One client for every bridge: connections to the same upstream are pooled; redirects are followed, a few.
        _http = new HttpClient(new SocketsHttpHandler
        {
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxAutomaticRedirections = 5,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Herald-Bridge/1");
        var herald = options.Value;
        _pollers = [.. herald.Bridges.Select(b => new BridgePoller(b, _http, publisher, store, interest, lease, metrics, time, herald.MaxRequestBodySize, logger))];
    }

    /// <summary>Every bridge's status, in configuration order.</summary>
    public IEnumerable<BridgeStatus> Statuses => _pollers.Select(static p => p.Status);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_pollers.Select(p => Task.Run(() => p.RunAsync(stoppingToken), CancellationToken.None)));

    public override void Dispose()
    {
        base.Dispose();
        _http.Dispose();
    }
}
