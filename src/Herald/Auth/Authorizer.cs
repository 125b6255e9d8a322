using Herald.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Herald.Auth;

/// <summary>
/// Decides who may publish and subscribe: reads the token, answers from the validated-token cache or verifies it with
/// the role's keys, and checks publish grants and cookie origins. Every refusal carries a one-line reason that never
/// echoes the token or a key. Keys follow configuration reloads; tokens verified by a removed key stop working at once.
/// </summary>
internal sealed partial class Authorizer : IDisposable
{
    private readonly TopicSelectorStore _selectors;
    private readonly TimeProvider _time;
    private readonly ILogger<Authorizer> _logger;
    private readonly TokenValidator _validator;
    private readonly ValidatedTokenCache _cache = new();
    private readonly HeraldMetrics _metrics;
    private readonly IDisposable? _reloads;
    private readonly Lock _reloadLock = new();
    private readonly HttpClient _jwksHttp;
    private volatile State _state;

    public Authorizer(IOptionsMonitor<HeraldOptions> options, TopicSelectorStore selectors, TimeProvider time, HeraldMetrics metrics, ILogger<Authorizer> logger)
    {
        _selectors = selectors;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _validator = new TokenValidator(selectors, metrics);
        // Key sets are fetched from configured URLs only; no redirects, so a compromised server cannot point the hub elsewhere.
        _jwksHttp = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = JwksCache.FetchTimeout,
        };
        _state = State.From(options.CurrentValue, null, NewJwks);
        _reloads = options.OnChange(Reload);
    }

    /// <summary>Signature verifications so far (the validated-token cache saves them on reconnects).</summary>
    public long SignatureVerifications => _validator.SignatureVerifications;

    internal int CachedTokens => _cache.Count;

    /// <summary>Claims of a subscriber; anonymous claims when allowed and no token was sent.</summary>
    public async ValueTask<(HeraldClaims? Claims, HeraldError? Error)> AuthenticateSubscriberAsync(HttpRequest request)
    {
        var state = _state;
        var (token, location, error) = TokenSource.Read(request, state.Options.CookieName);
        if (error is not null)
        {
            return Refuse(TokenRole.Subscriber, error, null, BearerError.NoToken);
        }

        if (UrlAccessToken(request, location) is { } urlError)
        {
            return (null, urlError);
        }

        if (token is null)
        {
            return state.Options.Anonymous
                ? (HeraldClaims.Anonymous, null)
                : Refuse(TokenRole.Subscriber, $"a subscriber token is required: send \"Authorization: Bearer <jwt>\", the \"authorization\" query parameter or the {state.Options.CookieName} cookie", null, BearerError.NoToken);
        }

        // A present but invalid token is refused even on an anonymous hub: silently downgrading hides the bug.
        return await ValidateAsync(state, TokenRole.Subscriber, token, location).ConfigureAwait(false);
    }

    public async ValueTask<(HeraldClaims? Claims, HeraldError? Error)> AuthenticatePublisherAsync(HttpRequest request)
    {
        var state = _state;
        var (token, location, error) = TokenSource.Read(request, state.Options.CookieName);
        if (error is not null)
        {
            return Refuse(TokenRole.Publisher, error, null, BearerError.NoToken);
        }

        if (UrlAccessToken(request, location) is { } urlError)
        {
            return (null, urlError);
        }

        if (token is null)
        {
            return Refuse(TokenRole.Publisher, "a publisher token is required: send \"Authorization: Bearer <jwt>\"", null, BearerError.NoToken);
        }

        var (claims, validationError) = await ValidateAsync(state, TokenRole.Publisher, token, location).ConfigureAwait(false);
        if (claims is null || location is not (TokenLocation.Cookie or TokenLocation.AccessCookie))
        {
            return (claims, validationError);
        }

        // The browser attaches cookies to any site's form POST: only a listed origin may publish with one (CSRF).
        var origin = OriginList.OfRequest(request);
        if (origin is null)
        {
            return (null, Forbid("a publish authorized by cookie must carry an Origin or Referer header (cross-site request forgery protection)"));
        }

        if (!state.PublishOrigins.Allows(origin))
        {
            return (null, Forbid(state.PublishOrigins.IsEmpty
                ? $"origin \"{Printable(origin)}\" may not publish with a cookie: this hub lists no publish origins (PublishOrigins)"
                : $"origin \"{Printable(origin)}\" is not in the hub's publish origins"));
        }

        return (claims, null);
    }

    /// <summary>Null when every topic of the update is matched by one of the token's publish selectors.</summary>
    public HeraldError? AuthorizePublish(HeraldClaims claims, IReadOnlyList<string> topics)
    {
        if (claims.Grants is { } grants)
        {
            if (!grants.CanPublish)
            {
                return Forbid("the access token's authorization_details grant no publish action: it cannot publish");
            }

            foreach (var topic in topics)
            {
                if (!grants.AllowsPublish(topic))
                {
                    return Forbid($"topic \"{Printable(topic)}\" is not matched by a publish grant of the access token's authorization_details");
                }
            }

            return null;
        }

        if (claims.Publish.Count == 0)
        {
            return Forbid("the token has no mercure.publish claim: it cannot publish");
        }

        foreach (var topic in topics)
        {
            var allowed = false;
            foreach (var selector in claims.Publish)
            {
                if (_selectors.Matches(selector, topic))
                {
                    allowed = true;
                    break;
                }
            }

            if (!allowed)
            {
                return Forbid($"topic \"{Printable(topic)}\" is not matched by the token's mercure.publish selectors");
            }
        }

        return null;
    }

    /// <summary>True when the subscriber may see a private update: one of its topics matches a subscribe grant.</summary>
    public bool CanReceivePrivate(HeraldClaims claims, IReadOnlyList<string> topics) =>
        claims.Grants is { } grants ? grants.AllowsSubscribe(topics) : _selectors.AnyMatches(claims.Subscribe, topics);

    /// <summary>
    /// True when the caller is authorized to receive the update at all, whatever topics it asked for: public, or
    /// private with a matching subscribe grant. Decides whether an id is a cursor the caller may resume from.
    /// </summary>
    public bool MaySee(HeraldClaims claims, Update update) =>
        !update.Private || CanReceivePrivate(claims, update.Topics);

    /// <summary>
    /// The rule every read path applies (live dispatch, SSE replay, long poll): one of the requested selectors matches
    /// a topic, and a private update also needs a subscribe grant.
    /// </summary>
    public bool CanSee(HeraldClaims claims, IReadOnlyList<TopicSelector> selectors, Update update) =>
        _selectors.AnyMatches(selectors, update.Topics) && MaySee(claims, update);

    public void Dispose()
    {
        _reloads?.Dispose();
        _jwksHttp.Dispose();
    }

    /// <summary>
    /// The draft's <c>access_token</c> query parameter: this hub never takes a 1.0 token from the URL (it ends up in
    /// logs), so rather than ignore it, and silently serve the caller as anonymous, it says so. A header wins over it.
    /// </summary>
    private HeraldError? UrlAccessToken(HttpRequest request, TokenLocation location)
    {
        if (location == TokenLocation.Header || !Http.QueryParameters.Contains(request, "access_token"))
        {
            return null;
        }

        LogRefused(_logger, "request", "none", "access_token in the URL");
        return HeraldError.Invalid($"access tokens are never accepted in the URL (access_token): send them in the Authorization header or the {TokenSource.AccessTokenCookie} cookie") with { Bearer = BearerError.InvalidRequest };
    }

    private async ValueTask<(HeraldClaims? Claims, HeraldError? Error)> ValidateAsync(State state, TokenRole role, string token, TokenLocation location)
    {
        var hash = ValidatedTokenCache.HashOf(role, token);
        var now = _time.GetUtcNow();
        if (_cache.TryGet(hash, now, out var cached))
        {
            _metrics.TokenCacheHit();
            if (LocationError(cached.Dialect, location) is { } locationError)
            {
                return (null, locationError);
            }

            // The same lifetime rule as a verified token (nbf was checked when it was verified, and only moves closer).
            var lifetimeError = TokenValidator.CheckLifetime(cached.Expires, null, now, state.Options.ClockSkew);
            return lifetimeError is null ? (cached, null) : Refuse(role, lifetimeError, hash);
        }

        var ring = role == TokenRole.Publisher ? state.Publishers : state.Subscribers;
        var result = await _validator.ValidateAsync(ring, state.Issuers, token, location, state.Options, now).ConfigureAwait(false);
        if (result.Claims is null)
        {
            return result.Kind switch
            {
                ErrorKind.Invalid => (null, HeraldError.Invalid(result.Error!) with { Bearer = BearerError.InvalidRequest }),
                ErrorKind.Unavailable => (null, HeraldError.Unavailable(result.Error!)),
                _ => Refuse(role, result.Error!, hash),
            };
        }

        // A reload may have swapped the keys while this token was verified: cache it only against the keys it was checked with.
        if (ReferenceEquals(state, _state))
        {
            _cache.Add(hash, result.Claims, result.Key!.Fingerprint, now);
        }

        return (result.Claims, null);
    }

    /// <summary>A cached token is held to the same rule as a fresh one: each dialect only from its own places.</summary>
    private static HeraldError? LocationError(TokenDialect dialect, TokenLocation location) => (dialect, location) switch
    {
        (TokenDialect.V1, TokenLocation.Query) => HeraldError.Invalid($"a 1.0 access token is never accepted in the URL: send it in the Authorization header or the {TokenSource.AccessTokenCookie} cookie") with { Bearer = BearerError.InvalidRequest },
        (TokenDialect.V1, TokenLocation.Cookie) => HeraldError.Invalid($"a 1.0 access token is accepted only in the Authorization header or the {TokenSource.AccessTokenCookie} cookie") with { Bearer = BearerError.InvalidRequest },
        (TokenDialect.Legacy, TokenLocation.AccessCookie) => HeraldError.Invalid($"the {TokenSource.AccessTokenCookie} cookie carries only 1.0 access tokens (typ at+jwt from a configured issuer)") with { Bearer = BearerError.InvalidRequest },
        _ => null,
    };

    private JwksCache NewJwks(string issuerId, string uri)
    {
        var jwks = new JwksCache(issuerId, uri, _jwksHttp, _time, _logger);
        // A key the issuer stopped publishing stops verifying at once, cached tokens included.
        jwks.KeysRemoved += removed => _cache.RemoveUnless((_, fingerprint) => !removed.Contains(fingerprint));
        return jwks;
    }

    private void Reload(HeraldOptions options)
    {
        lock (_reloadLock)
        {
            var previous = _state;
            var next = State.From(options, previous, NewJwks);
            _state = next;
            if (previous.Options.RequireExp != options.RequireExp || previous.Options.MaxTopics != options.MaxTopics
                || previous.Options.Resource != options.Resource)
            {
                _cache.Clear();
                LogReloaded(_logger, next.Publishers.Keys.Count, next.Subscribers.Keys.Count, -1);
                return;
            }

            var removed = _cache.RemoveUnless((role, fingerprint) =>
                (role == TokenRole.Publisher ? next.Publishers : next.Subscribers).Contains(fingerprint) || next.Issuers.Knows(role, fingerprint));
            LogReloaded(_logger, next.Publishers.Keys.Count, next.Subscribers.Keys.Count, removed);
        }
    }

    private (HeraldClaims?, HeraldError?) Refuse(TokenRole role, string reason, ValidatedTokenCache.Hash? hash, BearerError bearer = BearerError.Default)
    {
        LogRefused(_logger, role == TokenRole.Publisher ? "publisher" : "subscriber", hash is { } h ? "sha256:" + h.Short + "…" : "none", reason);
        return (null, HeraldError.Unauthenticated(reason) with { Bearer = bearer });
    }

    private HeraldError Forbid(string reason)
    {
        LogForbidden(_logger, reason);
        return HeraldError.Forbidden(reason);
    }

    private static string Printable(string value) => ReasonText.Quote(value);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a {Role} token (token {TokenHash}, redacted): {Reason}")]
    private static partial void LogRefused(ILogger logger, string role, string tokenHash, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forbidden: {Reason}")]
    private static partial void LogForbidden(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Keys reloaded: {PublisherKeys} publisher, {SubscriberKeys} subscriber; {Revoked} cached tokens revoked (-1: all)")]
    private static partial void LogReloaded(ILogger logger, int publisherKeys, int subscriberKeys, int revoked);

    /// <summary>Everything a request is judged by, swapped as one on reload so a request never sees half a configuration.</summary>
    private sealed class State
    {
        private State(HeraldOptions options, KeyRing publishers, KeyRing subscribers, IssuerSet issuers)
        {
            Options = options;
            Publishers = publishers;
            Subscribers = subscribers;
            Issuers = issuers;
            PublishOrigins = new OriginList(options.PublishOrigins);
        }

        /// <summary>The 1.0 issuers, each with its own keys: a token goes to one issuer or to the 0.x keys, never both.</summary>
        public IssuerSet Issuers { get; }

        public HeraldOptions Options { get; }

        public KeyRing Publishers { get; }

        public KeyRing Subscribers { get; }

        public OriginList PublishOrigins { get; }

        /// <summary>Keys that fail to load were already refused by the options validator; any left are skipped.</summary>
        public static State From(HeraldOptions options, State? previous, Func<string, string, JwksCache> newJwks) =>
            new(options, KeyRing.Build(TokenRole.Publisher, options).Ring, KeyRing.Build(TokenRole.Subscriber, options).Ring,
                IssuerSet.Build(options, previous?.Issuers, newJwks));
    }
}
