namespace Herald.Cli.Configuration;

/// <summary>What was given on the <c>herald serve</c> command line; null means "not given, let configuration decide".</summary>
internal sealed record ServeFlags
{
    public string? Listen { get; init; }

    public string? JwtKey { get; init; }

    public string? PublisherKey { get; init; }

    public string? SubscriberKey { get; init; }

    public bool? Anonymous { get; init; }

    public TimeSpan? Heartbeat { get; init; }

    public int? HistoryMaxCount { get; init; }

    public TimeSpan? HistoryMaxAge { get; init; }

    public long? HistoryMaxBytes { get; init; }

    public long? MaxRequestBodySize { get; init; }

    public string? ConfigFile { get; init; }

    public string? Store { get; init; }

    /// <summary>Flags win over every other source, so they are applied last.</summary>
    public void ApplyTo(HeraldOptions options)
    {
        options.Store = Store ?? options.Store;
        options.JwtKey = JwtKey ?? options.JwtKey;
        options.PublisherKey = PublisherKey ?? options.PublisherKey;
        options.SubscriberKey = SubscriberKey ?? options.SubscriberKey;
        options.Anonymous = Anonymous ?? options.Anonymous;
        options.Heartbeat = Heartbeat ?? options.Heartbeat;
        options.HistoryMaxCount = HistoryMaxCount ?? options.HistoryMaxCount;
        options.HistoryMaxAge = HistoryMaxAge ?? options.HistoryMaxAge;
        options.HistoryMaxBytes = HistoryMaxBytes ?? options.HistoryMaxBytes;
        options.MaxRequestBodySize = MaxRequestBodySize ?? options.MaxRequestBodySize;
    }
}
