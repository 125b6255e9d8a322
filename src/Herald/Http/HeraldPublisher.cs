using System.Diagnostics;
using Herald.Auth;
using Herald.Protocol;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>
/// The one path every publish takes, over HTTP or in-process: validate, then authorize (HTTP publishers only: the
/// in-process caller is the app itself), then assign an id and append to the store.
/// </summary>
internal sealed class HeraldPublisher : IHeraldPublisher
{
    private const string IdPrefix = "urn:uuid:";

    private readonly IHistoryStore _store;
    private readonly Authorizer _authorizer;
    private readonly HeraldOptions _options;
    private readonly TopicSelector[] _retainedTopics;

    public HeraldPublisher(IHistoryStore store, Authorizer authorizer, IOptions<HeraldOptions> options, TopicSelectorStore selectors)
    {
        _store = store;
        _authorizer = authorizer;
        _options = options.Value;
        _retainedTopics = [.. _options.RetainedTopics.Select(selectors.Get)];
    }

    public async ValueTask<string> PublishAsync(Update update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        var (id, error) = await TryPublishAsync(update, publisher: null, cancellationToken).ConfigureAwait(false);
        return error is null ? id! : throw new HeraldPublishException(ErrorStatus.Of(error.Kind), error.Reason);
    }

    /// <summary>
    /// Stores the update when it is valid and, for an HTTP publisher (<paramref name="publisher"/> not null), every
    /// topic is granted; returns its id, or the refusal. An invalid update is refused before its topics are judged.
    /// </summary>
    public async ValueTask<(string? Id, HeraldError? Error)> TryPublishAsync(Update update, HeraldClaims? publisher, CancellationToken cancellationToken)
    {
        using var activity = HeraldTracing.Source.StartActivity("herald.publish");
        var (id, error) = await PublishCoreAsync(update, publisher, activity, cancellationToken).ConfigureAwait(false);
        if (activity is not null)
        {
            activity.SetTag("herald.outcome", error is null ? "stored" : error.Kind.ToString());
            activity.SetStatus(error is null or { Kind: not ErrorKind.Unavailable } ? ActivityStatusCode.Unset : ActivityStatusCode.Error, error?.Reason);
        }

        return (id, error);
    }

    /// <summary>A topic the configuration retains (<see cref="HeraldOptions.RetainedTopics"/>).</summary>
    private bool IsRetainedTopic(IReadOnlyList<string> topics)
    {
        foreach (var selector in _retainedTopics)
        {
            foreach (var topic in topics)
            {
                if (selector.Matches(topic))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private async ValueTask<(string? Id, HeraldError? Error)> PublishCoreAsync(Update update, HeraldClaims? publisher, Activity? activity, CancellationToken cancellationToken)
    {
        if (UpdateValidator.Validate(update, _options.MaxTopics, _options.MaxTopicLength) is { } invalid)
        {
            return (null, invalid);
        }

        if (publisher is not null && _authorizer.AuthorizePublish(publisher, update.Topics) is { } forbidden)
        {
            return (null, forbidden);
        }

        // UUID v7 ids sort by time, which keeps store indexes append-friendly.
        var withId = update.Id is null ? update.WithId(IdPrefix + Guid.CreateVersion7()) : update;
        if (!withId.Retain && IsRetainedTopic(withId.Topics))
        {
            withId = withId.AsRetained();
        }

        if (activity is not null)
        {
            activity.SetTag("herald.update.topics", update.Topics.Count);
            activity.SetTag("herald.update.private", update.Private);
            withId = withId.WithPublishContext(activity.Context);
        }

        AppendResult result;
        try
        {
            using var append = HeraldTracing.Source.StartActivity("herald.store.append", ActivityKind.Client);
            result = await _store.AppendAsync(withId, cancellationToken).ConfigureAwait(false);
            append?.SetTag("herald.store.position", result.Position);
        }
        catch (HistoryStoreException e)
        {
            // Nothing was acknowledged: the publisher may retry, safely when it set an id.
            return (null, HeraldError.Unavailable("the update was not stored: " + e.Message));
        }

        return result.Status == AppendStatus.Conflict
            ? (null, new HeraldError(ErrorKind.Conflict, $"an update with id \"{ReasonText.Quote(result.Id)}\" was already published with different content"))
            : (result.Id, null);
    }
}
