using Herald.Protocol;
using Herald.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>The one path every publish takes: validate, assign an id, append to the store.</summary>
internal sealed class HeraldPublisher : IHeraldPublisher
{
    private const string IdPrefix = "urn:uuid:";

    private readonly IHistoryStore _store;
    private readonly HeraldOptions _options;

    public HeraldPublisher(IHistoryStore store, IOptions<HeraldOptions> options)
    {
        _store = store;
        _options = options.Value;
    }

    public async ValueTask<string> PublishAsync(Update update, CancellationToken cancellationToken = default)
    {
        var (id, error) = await TryPublishAsync(update, cancellationToken).ConfigureAwait(false);
        return error is null ? id! : throw new HeraldPublishException(error.Status, error.Reason);
    }

    public async ValueTask<(string? Id, HeraldError? Error)> TryPublishAsync(Update update, CancellationToken cancellationToken)
    {
        if (UpdateValidator.Validate(update, _options.MaxTopics) is { } invalid)
        {
            return (null, invalid);
        }

        // UUID v7 ids sort by time, which keeps store indexes append-friendly.
        var withId = update.Id is null ? update.WithId(IdPrefix + Guid.CreateVersion7()) : update;
        AppendResult result;
        try
        {
            result = await _store.AppendAsync(withId, cancellationToken).ConfigureAwait(false);
        }
        catch (HistoryStoreException e)
        {
            // Nothing was acknowledged: the publisher may retry, safely when it set an id.
            return (null, new HeraldError(StatusCodes.Status503ServiceUnavailable, "the update was not stored: " + e.Message));
        }

        return result.Status == AppendStatus.Conflict
            ? (null, new HeraldError(StatusCodes.Status409Conflict, $"an update with id \"{result.Id}\" was already published with different content"))
            : (result.Id, null);
    }
}
