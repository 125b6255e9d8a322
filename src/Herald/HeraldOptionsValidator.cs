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

        if (!Enum.IsDefined(options.Protocol))
        {
            failures.Add($"Protocol must be Legacy, Both or V1, not {(int)options.Protocol}");
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
