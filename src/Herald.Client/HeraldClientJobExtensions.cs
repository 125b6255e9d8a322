using System.Text.Json;
using Herald.Jobs;

namespace Herald.Client;

/// <summary>Job updates as docs/jobs.md defines them: progress, then completed or failed, on <c>jobs/{jobId}</c>.</summary>
public static class HeraldClientJobExtensions
{
    public static Task<string> ReportProgressAsync(this HeraldClient client, string jobId, double percent, string? message = null, bool isPrivate = true, CancellationToken cancellationToken = default)
    {
        JobUpdates.CheckPercent(percent);
        return client.PublishAsync(Job(client, jobId, JobUpdates.ProgressType, JobUpdates.ProgressData(jobId, percent, message), isPrivate), cancellationToken);
    }

    public static Task<string> CompleteAsync(this HeraldClient client, string jobId, object? result = null, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        client.PublishAsync(Job(client, jobId, JobUpdates.CompletedType, JobUpdates.CompletedData(jobId, result is null ? null : JsonSerializer.SerializeToElement(result)), isPrivate), cancellationToken);

    public static Task<string> FailAsync(this HeraldClient client, string jobId, string error, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        client.PublishAsync(Job(client, jobId, JobUpdates.FailedType, JobUpdates.FailedData(jobId, error), isPrivate), cancellationToken);

    private static HeraldPublication Job(HeraldClient client, string jobId, string type, string data, bool isPrivate) => new()
    {
        Topics = [JobUpdates.Topic(jobId, client.Options.JobTopicPrefix)],
        Type = type,
        Data = data,
        Private = isPrivate,
    };
}
