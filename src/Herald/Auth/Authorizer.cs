using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Herald.Auth;

internal enum TokenRole
{
    Publisher,
    Subscriber,
}

/// <summary>
/// Validates Mercure JWTs and decides who may publish and subscribe. Every refusal carries a one-line reason
/// that never echoes the token or a key.
/// </summary>
internal sealed partial class Authorizer
{
    /// <summary>10,000 validated tokens: a reconnect storm re-verifies no signature, while memory stays bounded.</summary>
    public const int ValidatedTokenCacheSize = 10_000;

    private static readonly JsonWebTokenHandler Handler = new();

    private readonly HeraldOptions _options;
    private readonly TopicSelectorStore _selectors;
    private readonly TimeProvider _time;
    private readonly ILogger<Authorizer> _logger;
    private readonly TokenValidationParameters? _publisherParameters;
    private readonly TokenValidationParameters? _subscriberParameters;
    private readonly ConcurrentDictionary<(TokenRole, string), HeraldClaims> _validated = new();

    public Authorizer(IOptions<HeraldOptions> options, TopicSelectorStore selectors, TimeProvider time, ILogger<Authorizer> logger)
    {
        _options = options.Value;
        _selectors = selectors;
        _time = time;
        _logger = logger;
        _publisherParameters = CreateParameters(_options.EffectivePublisherKey, _options.JwtAlgorithms);
        _subscriberParameters = CreateParameters(_options.EffectiveSubscriberKey, _options.JwtAlgorithms);
    }

    /// <summary>Claims of a subscriber; anonymous claims when allowed and no token was sent.</summary>
    public async ValueTask<(HeraldClaims? Claims, HeraldError? Error)> AuthenticateSubscriberAsync(HttpRequest request)
    {
        var (token, error) = TokenSource.Read(request);
        if (error is not null)
        {
            return Refuse(TokenRole.Subscriber, error);
        }

        if (token is null)
        {
            return _options.Anonymous
                ? (HeraldClaims.Anonymous, null)
                : Refuse(TokenRole.Subscriber, "a subscriber token is required: send \"Authorization: Bearer <jwt>\", the \"authorization\" query parameter or the mercureAuthorization cookie");
        }

        // A present but invalid token is refused even on an anonymous hub: silently downgrading hides the bug.
        return await ValidateAsync(TokenRole.Subscriber, token).ConfigureAwait(false);
    }

    public async ValueTask<(HeraldClaims? Claims, HeraldError? Error)> AuthenticatePublisherAsync(HttpRequest request)
    {
        var (token, error) = TokenSource.Read(request);
        if (error is not null)
        {
            return Refuse(TokenRole.Publisher, error);
        }

        if (token is null)
        {
            return Refuse(TokenRole.Publisher, "a publisher token is required: send \"Authorization: Bearer <jwt>\"");
        }

        return await ValidateAsync(TokenRole.Publisher, token).ConfigureAwait(false);
    }

    /// <summary>Null when every topic of the update is matched by one of the token's publish selectors.</summary>
    public HeraldError? AuthorizePublish(HeraldClaims claims, IReadOnlyList<string> topics)
    {
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
                return Forbid($"topic \"{topic}\" is not matched by the token's mercure.publish selectors");
            }
        }

        return null;
    }

    /// <summary>True when the subscriber may see a private update: one of its topics matches a subscribe grant.</summary>
    public bool CanReceivePrivate(HeraldClaims claims, IReadOnlyList<string> topics) =>
        _selectors.AnyMatches(claims.Subscribe, topics);

    /// <summary>
    /// The rule every read path applies (live dispatch, SSE replay, long poll): one of the requested selectors matches
    /// a topic, and a private update also needs a subscribe grant.
    /// </summary>
    public bool CanSee(HeraldClaims claims, IReadOnlyList<TopicSelector> selectors, Update update) =>
        _selectors.AnyMatches(selectors, update.Topics)
        && (!update.Private || CanReceivePrivate(claims, update.Topics));

    private async ValueTask<(HeraldClaims? Claims, HeraldError? Error)> ValidateAsync(TokenRole role, string token)
    {
        if (_validated.TryGetValue((role, token), out var cached))
        {
            var lifetimeError = CheckLifetime(cached.Expires, null);
            return lifetimeError is null ? (cached, null) : Refuse(role, lifetimeError);
        }

        var parameters = role == TokenRole.Publisher ? _publisherParameters : _subscriberParameters;
        if (parameters is null)
        {
            return Refuse(role, $"this hub has no {RoleName(role)} key configured, so it cannot verify tokens");
        }

        if (!Handler.CanReadToken(token))
        {
            return Refuse(role, "the token is not a well-formed JWT");
        }

        JsonWebToken jwt;
        try
        {
            jwt = Handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return Refuse(role, "the token is not a well-formed JWT");
        }

        if (!_options.JwtAlgorithms.Contains(jwt.Alg, StringComparer.Ordinal))
        {
            return Refuse(role, $"the token's algorithm \"{jwt.Alg}\" is not accepted (accepted: {string.Join(", ", _options.JwtAlgorithms)})");
        }

        // RFC 7518 §3.2: an HMAC key must be at least the hash size. The JWT library enforces it by failing signature
        // validation, which would misleadingly read as a forged token, so say what is wrong instead.
        var neededBits = jwt.Alg switch { "HS384" => 384, "HS512" => 512, _ => 256 };
        if (parameters.IssuerSigningKey.KeySize < neededBits)
        {
            return Refuse(role, $"the hub's {RoleName(role)} key is {parameters.IssuerSigningKey.KeySize} bits, too short for {jwt.Alg} (at least {neededBits} bits): sign with HS256 or configure a longer key");
        }

        var result = await Handler.ValidateTokenAsync(jwt, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return Refuse(role, result.Exception is SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException
                ? $"the token's signature did not verify with the {RoleName(role)} key"
                : "the token was rejected: " + FirstLine(result.Exception?.Message));
        }

        var expires = jwt.TryGetPayloadValue<long>("exp", out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : (DateTimeOffset?)null;
        var notBefore = jwt.TryGetPayloadValue<long>("nbf", out var nbf) ? DateTimeOffset.FromUnixTimeSeconds(nbf) : (DateTimeOffset?)null;
        var timeError = CheckLifetime(expires, notBefore);
        if (timeError is not null)
        {
            return Refuse(role, timeError);
        }

        var (claims, claimError) = ReadMercureClaim(jwt, expires);
        if (claims is null)
        {
            return Refuse(role, claimError!);
        }

        if (_validated.Count >= ValidatedTokenCacheSize)
        {
            _validated.Clear();
        }

        _validated[(role, token)] = claims;
        return (claims, null);
    }

    private string? CheckLifetime(DateTimeOffset? expires, DateTimeOffset? notBefore)
    {
        var now = _time.GetUtcNow();
        if (expires is { } exp && now > exp + _options.ClockSkew)
        {
            return $"the token expired at {exp:yyyy-MM-ddTHH:mm:ssZ}";
        }

        if (notBefore is { } nbf && now + _options.ClockSkew < nbf)
        {
            return $"the token is not valid before {nbf:yyyy-MM-ddTHH:mm:ssZ}";
        }

        return null;
    }

    private (HeraldClaims? Claims, string? Error) ReadMercureClaim(JsonWebToken jwt, DateTimeOffset? expires)
    {
        JsonElement payload;
        try
        {
            payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(jwt.EncodedPayload)).RootElement;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return (null, "the token's payload is not valid JSON");
        }

        if (!payload.TryGetProperty("mercure", out var mercure))
        {
            return (new HeraldClaims([], [], null, expires), null);
        }

        if (mercure.ValueKind != JsonValueKind.Object)
        {
            return (null, "the token's \"mercure\" claim must be an object");
        }

        var (publish, publishError) = ReadSelectors(mercure, "publish");
        if (publishError is not null)
        {
            return (null, publishError);
        }

        var (subscribe, subscribeError) = ReadSelectors(mercure, "subscribe");
        if (subscribeError is not null)
        {
            return (null, subscribeError);
        }

        JsonElement? mercurePayload = mercure.TryGetProperty("payload", out var p) ? p.Clone() : null;
        return (new HeraldClaims(publish!, subscribe!, mercurePayload, expires), null);
    }

    private (IReadOnlyList<TopicSelector>? Selectors, string? Error) ReadSelectors(JsonElement mercure, string name)
    {
        if (!mercure.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return ([], null);
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return (null, $"the token's mercure.{name} claim must be an array of topic selectors");
        }

        if (array.GetArrayLength() > _options.MaxTopics)
        {
            return (null, $"the token's mercure.{name} claim has {array.GetArrayLength()} selectors (at most {_options.MaxTopics})");
        }

        var selectors = new List<TopicSelector>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return (null, $"the token's mercure.{name} claim must contain only strings");
            }

            selectors.Add(_selectors.Get(item.GetString()!));
        }

        return (selectors, null);
    }

    private (HeraldClaims?, HeraldError?) Refuse(TokenRole role, string reason)
    {
        LogRefused(_logger, RoleName(role), reason);
        return (null, new HeraldError(StatusCodes.Status401Unauthorized, reason));
    }

    private HeraldError Forbid(string reason)
    {
        LogForbidden(_logger, reason);
        return new HeraldError(StatusCodes.Status403Forbidden, reason);
    }

    private static TokenValidationParameters? CreateParameters(string? key, string[] algorithms)
    {
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        return new TokenValidationParameters
        {
            IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)),
            ValidAlgorithms = algorithms,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ValidateIssuer = false,
            ValidateAudience = false,

            // Lifetime is checked against the hub's TimeProvider with the configured skew, and exp is optional as in Mercure 0.x.
            ValidateLifetime = false,
            RequireExpirationTime = false,
        };
    }

    private static string RoleName(TokenRole role) => role == TokenRole.Publisher ? "publisher" : "subscriber";

    private static string FirstLine(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return "invalid token";
        }

        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a {Role} token: {Reason}")]
    private static partial void LogRefused(ILogger logger, string role, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forbidden: {Reason}")]
    private static partial void LogForbidden(ILogger logger, string reason);
}
