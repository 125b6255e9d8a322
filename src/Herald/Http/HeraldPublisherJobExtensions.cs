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

    public static ValueTask<string> CompleteAsync(this IHeraldPublisher publisher, string jobId, object? result = null, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        publisher.PublishAsync(Job(jobId, JobUpdates.CompletedType, JobUpdates.CompletedData(jobId, result is null ? null : JsonSerializer.SerializeToElement(result)), isPrivate), cancellationToken);

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
