using System.Text.Json;
using Herald.Jobs;

namespace Herald;

/// <summary>In-process job updates, in the schema of docs/jobs.md that the JS and .NET clients read.</summary>
public static class HeraldPublisherJobExtensions
{
    public static ValueTask<string> ReportProgressAsync(this IHeraldPublisher publisher, string jobId, double percent, string? message = null, bool isPrivate = true, CancellationToken cancellationToken = default)
    {
        JobUpdates.CheckPercent(percent);
        return publisher.PublishAsync(Job(jobId, JobUpdates.ProgressType, JobUpdates.ProgressData(jobId, percent, message), isPrivate), cancellationToken);
    }

    /// <summary>Completes the job with a result serialized by reflection (a trimmed or native app uses the <see cref="JsonElement"/> overload).</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode("The result is serialized by reflection; pass a JsonElement from a trimmed or native app.")]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("The result is serialized by reflection; pass a JsonElement from a trimmed or native app.")]
    public static ValueTask<string> CompleteAsync(this IHeraldPublisher publisher, string jobId, object? result = null, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        publisher.PublishAsync(Job(jobId, JobUpdates.CompletedType, JobUpdates.CompletedData(jobId, result is null ? null : JsonSerializer.SerializeToElement(result)), isPrivate), cancellationToken);

    /// <summary>Completes the job with a result that is already JSON: no reflection, safe in trimmed and native apps.</summary>
    public static ValueTask<string> CompleteAsync(this IHeraldPublisher publisher, string jobId, JsonElement result, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        publisher.PublishAsync(Job(jobId, JobUpdates.CompletedType, JobUpdates.CompletedData(jobId, result), isPrivate), cancellationToken);

    public static ValueTask<string> FailAsync(this IHeraldPublisher publisher, string jobId, string error, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        publisher.PublishAsync(Job(jobId, JobUpdates.FailedType, JobUpdates.FailedData(jobId, error), isPrivate), cancellationToken);

    private static Update Job(string jobId, string type, string data, bool isPrivate) => new()
    {
        Topics = [JobUpdates.Topic(jobId)],
        Type = type,
        Data = data,
        Private = isPrivate,
    };
}
