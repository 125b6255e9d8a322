using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Herald.Fanout;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Infrastructure;

/// <summary>Long polls against the real hub over HTTP, and their JSON answers.</summary>
public static class Polls
{
    public const string PollPath = TestHub.HubPath + "/poll";

    public static Task<HttpResponseMessage> PollRawAsync(this TestHub hub, string query, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, PollPath + "?" + query);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return hub.Client.SendAsync(request);
    }

    public static async Task<PollAnswer> PollAsync(this TestHub hub, string query, string? token)
    {
        using var response = await hub.PollRawAsync(query, token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"poll failed: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return new PollAnswer(body);
    }

    /// <summary>Waits until that many polls are registered for wake-ups, so a publish or a clock advance lands on a waiting poll.</summary>
    public static async Task WaitForWaitersAsync(this TestHub hub, int count)
    {
        var index = hub.Services.GetRequiredService<SubscriberIndex>();
        using var limit = new CancellationTokenSource(SseStream.WaitLimit);
        while (index.Count < count)
        {
            // Real-time yield while checking a condition, not a sleep standing in for one.
            await Task.Delay(5, limit.Token);
        }
    }
}

public sealed class PollAnswer
{
    public PollAnswer(string raw)
    {
        Raw = raw;
        Root = JsonDocument.Parse(raw).RootElement;
        Updates = Root.GetProperty("updates").EnumerateArray().ToList();
    }

    public string Raw { get; }

    public JsonElement Root { get; }

    public List<JsonElement> Updates { get; }

    public IEnumerable<string?> Data => Updates.Select(u => u.GetProperty("data").GetString());

    public IEnumerable<string?> Ids => Updates.Select(u => u.GetProperty("id").GetString());

    public string? LastEventId => Root.GetProperty("lastEventID").GetString();

    public bool Gap => Root.GetProperty("gap").GetBoolean();
}
