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

    /// <summary>Completes the job with a result serialized by reflection (a trimmed or native app uses the <see cref="JsonElement"/> overload).</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode("The result is serialized by reflection; pass a JsonElement from a trimmed or native app.")]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode("The result is serialized by reflection; pass a JsonElement from a trimmed or native app.")]
    public static Task<string> CompleteAsync(this HeraldClient client, string jobId, object? result = null, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        client.PublishAsync(Job(client, jobId, JobUpdates.CompletedType, JobUpdates.CompletedData(jobId, result is null ? null : JsonSerializer.SerializeToElement(result)), isPrivate), cancellationToken);

    /// <summary>Completes the job with a result that is already JSON: no reflection, safe in trimmed and native apps.</summary>
    public static Task<string> CompleteAsync(this HeraldClient client, string jobId, JsonElement result, bool isPrivate = true, CancellationToken cancellationToken = default) =>
        client.PublishAsync(Job(client, jobId, JobUpdates.CompletedType, JobUpdates.CompletedData(jobId, result), isPrivate), cancellationToken);

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
