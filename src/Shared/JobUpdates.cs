using System.Text.Json;

namespace Herald.Jobs;

/// <summary>
/// The job-update schema of docs/jobs.md, compiled into both the hub library and the .NET client so the two can't
/// drift: topic <c>jobs/{jobId}</c> (the id percent-encoded as one path segment), private unless asked otherwise,
/// types <c>progress</c>, <c>completed</c> and <c>failed</c>.
/// </summary>
internal static class JobUpdates
{
    /// <summary>Topic prefix of job updates; configurable because apps often namespace topics by their own URL.</summary>
    public const string DefaultTopicPrefix = "jobs/";

    public const string ProgressType = "progress";
    public const string CompletedType = "completed";
    public const string FailedType = "failed";

    public static string Topic(string jobId, string prefix = DefaultTopicPrefix) => prefix + Uri.EscapeDataString(jobId);

    public static string ProgressData(string jobId, double percent, string? message) =>
        Write(jobId, static (writer, state) =>
        {
            writer.WriteNumber("percent", state.Percent);
            writer.WriteString("message", state.Message);
        }, (Percent: percent, Message: message));

    public static string CompletedData(string jobId, JsonElement? result) =>
        Write(jobId, static (writer, result) =>
        {
            writer.WritePropertyName("result");
            if (result is { } element)
            {
                element.WriteTo(writer);
            }
            else
            {
                writer.WriteNullValue();
            }
        }, result);

    public static string FailedData(string jobId, string error) =>
        Write(jobId, static (writer, error) => writer.WriteString("error", error), error);

    /// <summary>Written by hand, not serialized from a dictionary: no reflection, so the native (AOT) build needs nothing generated.</summary>
    private static string Write<TState>(string jobId, Action<Utf8JsonWriter, TState> fields, TState state)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jobId", jobId);
            fields(writer, state);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Checks a percentage before anything is sent: a job can't be 120 % done.</summary>
    public static void CheckPercent(double percent)
    {
        if (double.IsNaN(percent) || percent < 0 || percent > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "percent must be between 0 and 100");
        }
    }
}
