using System.Text.Json.Serialization;

namespace Herald.Cli.Commands;

/// <summary>One line of <c>herald subscribe --json</c>.</summary>
internal sealed record SubscribedUpdate(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("data")] string Data,
    [property: JsonPropertyName("retry")] double? Retry);
