using Herald.Storage;
using System.Text;
using Microsoft.Extensions.Options;

namespace Herald;

/// <summary>Refuses configurations that would fail later or silently weaken the hub, with a message naming the setting.</summary>
internal sealed class HeraldOptionsValidator : IValidateOptions<HeraldOptions>
{
    /// <summary>HMAC keys below 256 bits are brute-forceable, and the JWT library refuses them anyway.</summary>
    public const int MinimumKeyBytes = 32;

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

        if (options.MaxTopics <= 0)
        {
            failures.Add("MaxTopics must be positive");
        }

        if (options.SubscriberQueueLength <= 0 || options.SubscriberQueueBytes <= 0)
        {
            failures.Add("SubscriberQueueLength and SubscriberQueueBytes must be positive");
        }

        if (options.ClockSkew < TimeSpan.Zero)
        {
            failures.Add("ClockSkew must not be negative");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckKey(List<string> failures, string name, string? key)
    {
        if (!string.IsNullOrEmpty(key) && Encoding.UTF8.GetByteCount(key) < MinimumKeyBytes)
        {
            failures.Add($"{name} must be at least {MinimumKeyBytes} bytes long (256 bits) for HMAC signing");
        }
    }
}
