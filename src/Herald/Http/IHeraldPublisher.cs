namespace Herald;

/// <summary>Publishes updates in-process, through the same validation and store as <c>POST /.well-known/mercure</c>.</summary>
public interface IHeraldPublisher
{
    /// <summary>
    /// Stores the update and returns its id (assigned when the update has none). Dispatch follows from the store's
    /// feed. Throws <see cref="HeraldPublishException"/> when the update is refused.
    /// </summary>
    ValueTask<string> PublishAsync(Update update, CancellationToken cancellationToken = default);
}

/// <summary>A refused publish: the HTTP status the hub would answer and why.</summary>
public sealed class HeraldPublishException(int statusCode, string reason) : Exception(reason)
{
    public int StatusCode { get; } = statusCode;
}
