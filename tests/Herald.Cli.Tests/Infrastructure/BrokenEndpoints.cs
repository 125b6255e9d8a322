using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Cli.Tests.Infrastructure;

/// <summary>
/// SSE endpoints that fail the way real deployments do, on 127.0.0.1:0: an unknown path (404), an HTML page, a stream
/// that closes, one whose events are held and flushed late, one that never sends a heartbeat.
/// </summary>
public sealed class BrokenEndpoints : IAsyncLifetime
{
    /// <summary>Events the buffering endpoint holds back before flushing them all at once.</summary>
    public const int BufferedEvents = 6;

    /// <summary>Pace of the held-back events: 6 × 150 ms is a clear silence before the burst.</summary>
    public static readonly TimeSpan BufferedEventInterval = TimeSpan.FromMilliseconds(150);

    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();

        app.MapGet("/html", () => Results.Content("<!doctype html><html><body><h1>Sign in</h1></body></html>", "text/html"));
        app.MapGet("/closes", async context =>
        {
            StartStream(context);
            await context.Response.WriteAsync(":\n\ndata: one\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        });
        app.MapGet("/buffered", async context =>
        {
            StartStream(context);
            await context.Response.StartAsync();
            await context.Response.BodyWriter.FlushAsync();
            for (var i = 0; i < BufferedEvents; i++)
            {
                // Written but not flushed: what a buffering proxy or compression layer does to a live stream.
                context.Response.BodyWriter.Write(Encoding.UTF8.GetBytes($"data: {i}\n\n"));
                await Task.Delay(BufferedEventInterval);
            }

            await context.Response.BodyWriter.FlushAsync();
            await WaitForClientToLeave(context);
        });
        app.MapGet("/silent", async context =>
        {
            StartStream(context);
            await context.Response.WriteAsync("data: hello\n\n");
            await context.Response.Body.FlushAsync();
            await WaitForClientToLeave(context);
        });

        await app.StartAsync();
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseAddress = new Uri(address);
    }

    /// <summary>A loopback port nothing listens on: bound, then released.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private static void StartStream(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
    }

    private static async Task WaitForClientToLeave(HttpContext context)
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
