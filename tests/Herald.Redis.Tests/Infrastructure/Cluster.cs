using System.Net;
using System.Net.Http.Headers;
using Herald.Cli.Tests.Infrastructure;
using Herald.Tests.Infrastructure;

namespace Herald.Redis.Tests.Infrastructure;

/// <summary>One private Redis and any number of real <c>herald serve --store redis://…</c> nodes on it.</summary>
public sealed class Cluster : IAsyncDisposable
{
    public const string HubPath = "/.well-known/mercure";

    /// <summary>1 s heartbeats so a test sees one quickly while Redis is down.</summary>
    public const string Heartbeat = "1s";

    private readonly TempDirectory _directory = new();
    private readonly List<HeraldProcess> _nodes = [];

    private Cluster(RedisServer redis)
    {
        Redis = redis;
    }

    public RedisServer Redis { get; }

    public string PublisherToken { get; } = Tokens.Create(HeraldProcess.Key, publish: ["*"]);

    /// <param name="persistent">False: a Redis without persistence, which a restart empties.</param>
    public static async Task<Cluster> StartAsync(bool persistent = true) => new(await RedisServer.StartAsync(persistent));

    /// <summary>Starts a node and waits until it reports ready (connected and reading the feed).</summary>
    public Task<(HeraldProcess Process, HttpClient Client)> StartNodeAsync(params string[] extraArgs) => StartNodeAsync(null, extraArgs);

    /// <summary>As above, with settings given as <c>HERALD_</c> environment variables.</summary>
    public async Task<(HeraldProcess Process, HttpClient Client)> StartNodeAsync(IDictionary<string, string>? environment, params string[] extraArgs)
    {
        var (process, baseAddress) = await HeraldProcess.ServeAsync(
            ["--jwt-key", HeraldProcess.Key, "--store", Redis.Url, "--heartbeat", Heartbeat, .. extraArgs], _directory.Path, environment);
        _nodes.Add(process);
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        await WaitForReadyAsync(client, HttpStatusCode.OK);
        return (process, client);
    }

    /// <summary>Polls <c>/readyz</c> (as a load balancer would) until it answers <paramref name="status"/>; a refused connection (a proxy still starting) counts as not yet.</summary>
    public static async Task WaitForReadyAsync(HttpClient client, HttpStatusCode status)
    {
        using var limit = new CancellationTokenSource(HeraldProcess.WaitLimit);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("/readyz", limit.Token);
                if (response.StatusCode == status)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (!limit.IsCancellationRequested)
            {
            }

            await Task.Delay(50, limit.Token);
        }
    }

    public async Task<HttpResponseMessage> PublishAsync(HttpClient client, string id, string data, string topic = "t", bool isPrivate = false)
    {
        List<KeyValuePair<string, string>> form = [new("topic", topic), new("id", id), new("data", data)];
        if (isPrivate)
        {
            form.Add(new("private", "on"));
        }

        var request = new HttpRequestMessage(HttpMethod.Post, HubPath) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", PublisherToken);
        return await client.SendAsync(request);
    }

    public async Task<HttpStatusCode> PublishStatusAsync(HttpClient client, string id, string data)
    {
        using var response = await PublishAsync(client, id, data);
        return response.StatusCode;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Redis.DisposeAsync();
        _directory.Dispose();
    }
}
