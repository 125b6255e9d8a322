using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald;

/// <summary>Refuses configurations that would fail later or silently weaken the hub, with a message naming the setting.</summary>
internal sealed class HeraldOptionsValidator : IValidateOptions<HeraldOptions>
{
    private readonly IReadOnlyCollection<HistoryStoreScheme> _storeSchemes;

    /// <summary>Store packages (e.g. Herald.Redis) register their <see cref="HistoryStoreScheme"/> so their URLs are accepted.</summary>
    public HeraldOptionsValidator(IEnumerable<HistoryStoreScheme> storeSchemes)
    {
        _storeSchemes = storeSchemes.ToList();
    }

    public ValidateOptionsResult Validate(string? name, HeraldOptions options)
    {
        var failures = new List<string>();
        CheckKey(failures, nameof(options.JwtKey), options.JwtKey);
        CheckKey(failures, nameof(options.PublisherKey), options.PublisherKey);
        CheckKey(failures, nameof(options.SubscriberKey), options.SubscriberKey);
        if (options.JwtAlgorithms.Any(a => a.Equals("none", StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add("JwtAlgorithms must not contain \"none\": unsigned tokens would grant anything");
        }

        if (options.JwtAlgorithms.Any(a => a is not ("HS256" or "HS384" or "HS512")))
        {
            failures.Add("JwtAlgorithms may contain only HS256, HS384 and HS512");
        }

        CheckKeys(failures, nameof(options.JwtKeys), options.JwtKeys, options.JwtAlgorithms);
        CheckKeys(failures, nameof(options.PublisherKeys), options.PublisherKeys, options.JwtAlgorithms);
        CheckKeys(failures, nameof(options.SubscriberKeys), options.SubscriberKeys, options.JwtAlgorithms);
        CheckIssuers(failures, options);
        if (string.IsNullOrWhiteSpace(options.CookieName) || options.CookieName.AsSpan().IndexOfAny(";=, \t") >= 0)
        {
            failures.Add("CookieName must be a cookie name (no spaces, ';', '=' or ',')");
        }

        CheckOrigins(failures, nameof(options.PublishOrigins), options.PublishOrigins);
        CheckOrigins(failures, nameof(options.CorsOrigins), options.CorsOrigins);
        if (options.CorsOrigins.Any(o => o.Trim() == "*") && !options.Anonymous)
        {
            failures.Add("CorsOrigins \"*\" is only for an anonymous hub (it never allows credentials): list the origins that send tokens or cookies");
        }

        foreach (var proxy in options.TrustedProxies)
        {
            if (!Http.ClientAddress.TryParseNetwork(proxy, out _))
            {
                failures.Add($"TrustedProxies: \"{proxy}\" is not an address or CIDR network (e.g. 10.0.0.0/8, 192.168.1.10, fd00::/8)");
            }
        }

        if (options.MaxConnections < 0 || options.MaxConnectionsPerIp < 0)
        {
            failures.Add("MaxConnections and MaxConnectionsPerIp must be zero (unlimited) or positive");
        }

        if (options.MaxReplay <= 0 || options.MaxConcurrentReplays <= 0)
        {
            failures.Add("MaxReplay and MaxConcurrentReplays must be positive");
        }

        if (options.SubscriptionsLease < TimeSpan.FromSeconds(1))
        {
            failures.Add("SubscriptionsLease must be at least 1s: each node renews it three times per period");
        }

        if (options.MaxRetainedPerSubscription <= 0)
        {
            failures.Add("MaxRetainedPerSubscription must be positive");
        }

        Bridges.BridgeValidation.Check(options, failures);
        if (options.HistoryKeepsLatestRetainedOnly && options.Store.StartsWith("redis", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("HistoryKeepsLatestRetainedOnly is not supported by the Redis store (stream entries cannot be emptied in place)");
        }

        if (options.Heartbeat < TimeSpan.Zero)
        {
            failures.Add("Heartbeat must be zero (off) or positive");
        }

        if (options.HistoryMaxCount <= 0 || options.HistoryMaxBytes <= 0 || options.HistoryMaxAge < TimeSpan.Zero)
        {
            failures.Add("HistoryMaxCount and HistoryMaxBytes must be positive, and HistoryMaxAge must not be negative");
        }

        if (HistoryStoreFactory.Describe(options.Store, _storeSchemes) is { } storeError)
        {
            failures.Add(storeError);
        }

        if (options.MaxRequestBodySize <= 0)
        {
            failures.Add("MaxRequestBodySize must be positive");
        }

        if (options.MaxTopicLength <= 0 || options.MaxTemplateLength <= 0 || options.MaxTemplateExpressions <= 0 || options.MaxTemplatesPerSubscription < 0)
        {
            failures.Add("MaxTopicLength, MaxTemplateLength and MaxTemplateExpressions must be positive, MaxTemplatesPerSubscription zero or positive");
        }

        if (options.MaxTemplatesPerIp < 0 || options.MaxTemplates < 0 || options.MaxConnectionsPerSubject < 0)
        {
            failures.Add("MaxTemplatesPerIp, MaxTemplates and MaxConnectionsPerSubject must be zero (unlimited) or positive");
        }

        if (options.MaxTopics <= 0)
        {
            failures.Add("MaxTopics must be positive");
        }

        if (options.SubscriberQueueLength <= 0 || options.SubscriberQueueBytes <= 0)
        {
            failures.Add("SubscriberQueueLength and SubscriberQueueBytes must be positive");
        }

        if (options.Protocol is { } protocol && !Enum.IsDefined(protocol))
        {
            failures.Add($"Protocol must be Legacy, Both or V1, not {(int)protocol}");
        }
        else if (options.ServedProtocol != HeraldProtocol.Legacy && (string.IsNullOrEmpty(options.Resource) || options.Issuers.Count == 0))
        {
            // A 1.0 hub must know its resource identifier (tokens' aud) and who issues its access tokens (draft-08, "Token Validation").
            failures.Add($"Protocol {options.ServedProtocol} needs Resource (the hub's identifier, e.g. https://hub.example.com/.well-known/mercure) and at least one entry in Issuers");
        }

        if (options.MaxConnectionLifetime is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            failures.Add("MaxConnectionLifetime must be positive (or unset: no limit)");
        }

        if (options.ClockSkew < TimeSpan.Zero)
        {
            failures.Add("ClockSkew must not be negative");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckKeys(List<string> failures, string name, List<HeraldKey> keys, string[] hmacAlgorithms)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (Auth.KeyRing.Check(keys[i], hmacAlgorithms) is { } error)
            {
                failures.Add($"{name}[{i}]: {error}");
            }
        }
    }

    /// <summary>1.0 issuers: each a distinct id with keys or a key set URL, and the resource identifier their tokens name.</summary>
    private static void CheckIssuers(List<string> failures, HeraldOptions options)
    {
        if (options.Resource is { } resource && (resource.Trim().Length == 0 || resource.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
        {
            failures.Add("Resource must be the hub's resource identifier (e.g. https://hub.example.com/.well-known/mercure), without spaces or control characters");
        }

        if (options.Issuers.Count > 0 && string.IsNullOrEmpty(options.Resource))
        {
            failures.Add("Resource is required with Issuers: 1.0 access tokens must name the hub in aud (e.g. https://hub.example.com/.well-known/mercure)");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Issuers.Count; i++)
        {
            var issuer = options.Issuers[i];
            var name = $"Issuers[{i}]";
            if (string.IsNullOrWhiteSpace(issuer.Id) || issuer.Id.Any(char.IsControl))
            {
                failures.Add($"{name}.Id must be the issuer identifier its tokens carry in iss");
            }
            else if (!ids.Add(issuer.Id))
            {
                failures.Add($"{name}.Id \"{issuer.Id}\" is configured twice: one issuer, one set of keys");
            }

            if (issuer.PublisherKeys.Count == 0 && issuer.SubscriberKeys.Count == 0 && string.IsNullOrEmpty(issuer.JwksUri))
            {
                failures.Add($"{name} has no keys: give PublisherKeys, SubscriberKeys or a JwksUri");
            }

            CheckKeys(failures, name + ".PublisherKeys", issuer.PublisherKeys, options.JwtAlgorithms);
            CheckKeys(failures, name + ".SubscriberKeys", issuer.SubscriberKeys, options.JwtAlgorithms);
            if (!string.IsNullOrEmpty(issuer.JwksUri)
                && (!Uri.TryCreate(issuer.JwksUri, UriKind.Absolute, out var jwks)
                    || !(jwks.Scheme == Uri.UriSchemeHttps || (jwks.Scheme == Uri.UriSchemeHttp && jwks.IsLoopback))))
            {
                // A key set fetched in clear text could be swapped on the way: plain http only to this machine.
                failures.Add($"{name}.JwksUri must be an https URL (http only for localhost)");
            }
        }
    }

    private static void CheckOrigins(List<string> failures, string name, string[] origins)
    {
        foreach (var origin in origins)
        {
            if (Auth.OriginList.Describe(origin) is { } error)
            {
                failures.Add($"{name}: {error}");
            }
        }
    }

    /// <summary>
    /// A single HMAC secret is checked by loading it as the hub will: an <c>@path</c> value is measured by the secret in
    /// the file, not by the text naming it.
    /// </summary>
    private static void CheckKey(List<string> failures, string name, string? key)
    {
        if (!string.IsNullOrEmpty(key) && Auth.KeyRing.Check(new HeraldKey { Key = key }, []) is { } error)
        {
            failures.Add($"{name}: {error}");
        }
    }
}
