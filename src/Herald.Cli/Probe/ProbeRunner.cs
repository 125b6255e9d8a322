using System.Diagnostics;
using System.Net.Http.Headers;

namespace Herald.Cli.Probe;

/// <summary>
/// Runs every attempt at once for the probe's window; once all have their headers, publishes one marker update
/// (when asked) and times its arrival on each open stream.
/// </summary>
internal static class ProbeRunner
{
    /// <param name="progress">Updated as the attempts go, for a live display; the report is built from the attempts alone.</param>
    public static async Task<ProbeReport> RunAsync(ProbeOptions options, ProbeProgress progress, CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stop.CancelAfter(options.Duration);
        var attempts = Enumerable.Range(1, options.Attempts).Select(i => new ProbeAttempt(options, i, progress)).ToList();
        var running = attempts.Select(a => Task.Run(() => a.RunAsync(stop.Token), CancellationToken.None)).ToList();

        MarkerResult? marker = null;
        if (options.PublishUrl is not null)
        {
            try
            {
                await Task.WhenAll(attempts.Select(a => a.Ready)).WaitAsync(stop.Token).ConfigureAwait(false);
                if (attempts.Any(a => a.Result.IsStream))
                {
                    marker = await PublishMarkerAsync(options, attempts, stop.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // The window ended before every attempt answered: no marker.
            }
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        return ProbeReport.Build(options, [.. attempts.Select(a => a.Result)], marker);
    }

    private static async Task<MarkerResult> PublishMarkerAsync(ProbeOptions options, List<ProbeAttempt> attempts, CancellationToken stop)
    {
        using var client = new HttpClient { Timeout = ProbeOptions.ConnectTimeout };
        try
        {
            // Opens the pooled connection and JIT-compiles the client first: the marker then times the hub, not our warm-up.
            using var warmUp = await client.GetAsync(options.PublishUrl, stop).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // The publish itself reports what is wrong.
        }

        var data = "herald-probe-marker-" + Guid.NewGuid().ToString("N");
        using var request = new HttpRequestMessage(HttpMethod.Post, options.PublishUrl)
        {
            Content = new FormUrlEncodedContent([new("topic", options.MarkerTopic!), new("data", data)]),
        };
        if (options.PublishToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.PublishToken);
        }

        var sentAt = Stopwatch.GetTimestamp();
        foreach (var attempt in attempts)
        {
            attempt.ExpectMarker(data, sentAt);
        }

        try
        {
            using var response = await client.SendAsync(request, stop).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(stop).ConfigureAwait(false);
            return new MarkerResult(data, (int)response.StatusCode, response.IsSuccessStatusCode ? null : body.Trim());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new MarkerResult(data, null, e.Message);
        }
    }
}

/// <summary>The marker publish: its answer, and the error when it was refused.</summary>
internal sealed record MarkerResult(string Data, int? Status, string? Error)
{
    public bool Accepted => Error is null;
}
