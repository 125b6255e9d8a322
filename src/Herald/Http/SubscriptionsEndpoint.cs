using Herald.Auth;
using Herald.Protocol;
using Herald.Storage;
using Herald.Subscriptions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Herald.Http;

/// <summary>
/// The "Subscription API" of both dialects: <c>GET /.well-known/mercure/subscriptions</c> (every subscription, each in
/// its own dialect's shape), 0.x <c>…/subscriptions/{topic}</c> and <c>…/subscriptions/{topic}/{subscriber}</c>, 1.0
/// <c>…/subscriptions/{matchType}/{match}</c> and <c>…/subscriptions/{matchType}/{match}/{subscriber}</c>, routed by
/// whether the first segment is a matcher type (<see cref="SubscriptionPaths.TryParse(string, out SubscriptionResource)"/>).
/// They answer the open subscriptions (of the whole cluster with Redis) as JSON-LD, with the <c>lastEventID</c> to
/// resume their events from. As the specs say, the token must grant subscribe on the requested URL (e.g.
/// <c>/.well-known/mercure/subscriptions{/topic}{/subscriber}</c>).
/// </summary>
internal sealed class SubscriptionsEndpoint(SubscriptionRegistry registry, IHistoryStore store, Authorizer authorizer, HeraldCors cors)
{
    public async Task HandleAsync(HttpContext context, string hubPath)
    {
        cors.Apply(context);
        if (!registry.Enabled)
        {
            await HttpResponses.WriteErrorAsync(context, HeraldError.NotFound("the subscriptions API is off: start the hub with --subscriptions")).ConfigureAwait(false);
            return;
        }

        // The raw path: a topic's %2F must not become a path separator before it is split.
        var raw = RawPath(context);
        var prefix = context.Request.PathBase.Value + hubPath + "/subscriptions";
        var suffix = raw.StartsWith(prefix, StringComparison.Ordinal) ? raw[prefix.Length..] : null;
        if (suffix is null || !SubscriptionPaths.TryParse(SubscriptionPaths.Collection + suffix, out var resource))
        {
            await HttpResponses.WriteErrorAsync(context, HeraldError.NotFound("no such subscriptions resource: use /subscriptions, /subscriptions/{topic}[/{subscriber}] or /subscriptions/{matchType}/{match}[/{subscriber}], each variable percent-encoded")).ConfigureAwait(false);
            return;
        }

        var (matchType, topic, subscriber) = resource;

        var requested = SubscriptionPaths.Collection + suffix;
        var (claims, error) = await authorizer.AuthenticateSubscriberAsync(context.Request).ConfigureAwait(false);
        error ??= claims is not null && !authorizer.CanReceivePrivate(claims, [requested])
            ? HeraldError.Forbidden($"the token's mercure.subscribe does not match {requested}")
            : null;
        if (error is not null)
        {
            await HttpResponses.WriteErrorAsync(context, error).ConfigureAwait(false);
            return;
        }

        SubscriptionSnapshot snapshot;
        string lastEventId;
        try
        {
            snapshot = await registry.SnapshotAsync(context.RequestAborted).ConfigureAwait(false);
            lastEventId = await LastEventIdAsync(snapshot.Position, claims!, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HistoryStoreException e)
        {
            await HttpResponses.WriteErrorAsync(context, HeraldError.Unavailable("cannot list subscriptions: " + e.Message)).ConfigureAwait(false);
            return;
        }

        byte[] body;
        if (subscriber is not null)
        {
            var found = snapshot.Subscriptions.FirstOrDefault(s => s.MatchType == matchType && s.Topic == topic && s.Subscriber == subscriber);
            if (found is null)
            {
                await HttpResponses.WriteErrorAsync(context, HeraldError.NotFound("no open subscription of that subscriber to that topic")).ConfigureAwait(false);
                return;
            }

            body = SubscriptionJson.Single(found, lastEventId);
        }
        else
        {
            var listed = topic is null ? snapshot.Subscriptions : snapshot.Subscriptions.Where(s => s.MatchType == matchType && s.Topic == topic);
            var id = topic is null ? SubscriptionPaths.Collection
                : matchType is null ? SubscriptionPaths.CollectionOf(topic)
                : SubscriptionPaths.CollectionOf(matchType, topic);
            body = SubscriptionJson.Collection(id, lastEventId, listed);
        }

        var response = context.Response;
        var etag = "\"" + lastEventId + "\"";
        response.Headers.ETag = etag;
        response.Headers.CacheControl = "must-revalidate";
        response.Headers.Link = $"<{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{hubPath}>; rel=\"mercure\"";
        if (context.Request.Headers.IfNoneMatch.Contains(etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = SubscriptionJson.ContentType;
        response.Headers.XContentTypeOptions = "nosniff";
        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// The id of the update at the snapshot's position when the caller may see it, else the hub cursor naming that
    /// position (never another update's id, which could reveal a private one); <c>earliest</c> before any update.
    /// </summary>
    private async Task<string> LastEventIdAsync(long position, HeraldClaims claims, CancellationToken cancellationToken)
    {
        if (position <= 0)
        {
            return ResumeCursor.EarliestId;
        }

        var at = await store.ReadAfterAsync(position - 1, 1, cancellationToken).ConfigureAwait(false);
        if (at is [{ } stored] && stored.Position == position && authorizer.MaySee(claims, stored.Update))
        {
            return stored.Update.Id!;
        }

        return ResumeCursor.Format(await store.GetGenerationAsync(cancellationToken).ConfigureAwait(false), position);
    }

    private static string RawPath(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            return context.Request.PathBase.Value + context.Request.Path.Value;
        }

        var query = target.IndexOf('?');
        return query < 0 ? target : target[..query];
    }
}
