using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// A real upstream for bridge tests, on Kestrel at 127.0.0.1: serves <see cref="Body"/> at <c>/doc</c> with an ETag
/// (answering <c>304</c> to a matching <c>If-None-Match</c>), or what <see cref="Answer"/> says, and counts requests.
/// </summary>
public sealed class Upstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;
    private int _notModified;
    private int _conditional;

    private Upstream(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string DocUrl => new Uri(BaseAddress, "/doc").ToString();

    /// <summary>The document served; its ETag is derived from it, so changing it changes the ETag.</summary>
    public volatile string Body = "{\"v\":1}";

    /// <summary>When set, answers every request instead of the document (status, content type, body).</summary>
    public volatile Func<HttpContext, Task>? Answer;

    public int Requests => Volatile.Read(ref _requests);

    public int NotModified => Volatile.Read(ref _notModified);

    /// <summary>Requests that carried If-None-Match.</summary>
    public int Conditional => Volatile.Read(ref _conditional);

    /// <summary>Completed when the request count reaches a number: see <see cref="WaitForRequestsAsync"/>.</summary>
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public static async Task<Upstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        Upstream? upstream = null;
        app.Run(context => upstream!.HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream = new Upstream(app, new Uri(address));
        return upstream;
    }

    public async Task WaitForRequestsAsync(int count)
    {
        TaskCompletionSource done;
        lock (_waiters)
        {
            if (Requests >= count)
            {
                return;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
        }

        await done.Task.WaitAsync(SseStream.WaitLimit);
    }

    private async Task HandleAsync(HttpContext context)
    {
        // Everything counted before a waiter is released, so what it reads next includes this request.
        var count = Interlocked.Increment(ref _requests);
        var answer = Answer;
        var body = Body;
        var etag = $"\"{(uint)body.GetHashCode():x}-{body.Length}\"";
        var notModified = false;
        if (answer is null && context.Request.Headers.IfNoneMatch.Count > 0)
        {
            Interlocked.Increment(ref _conditional);
            if (context.Request.Headers.IfNoneMatch == etag)
            {
                notModified = true;
                Interlocked.Increment(ref _notModified);
            }
        }

        lock (_waiters)
        {
            foreach (var waiter in _waiters.Where(w => w.Count <= count).ToList())
            {
                waiter.Done.TrySetResult();
                _waiters.Remove(waiter);
            }
        }

        if (answer is not null)
        {
            await answer(context);
            return;
        }

        if (notModified)
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.Headers.ETag = etag;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
