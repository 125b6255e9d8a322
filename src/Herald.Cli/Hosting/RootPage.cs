using System.Net;
using Microsoft.AspNetCore.Http;

namespace Herald.Cli.Hosting;

/// <summary><c>GET /</c>: a small page telling whoever opens the hub in a browser what it is and how to use it.</summary>
internal static class RootPage
{
    public const string DocsUrl = "https://mercure.rocks/spec";

    public static Task Write(HttpContext context)
    {
        var hub = WebUtility.HtmlEncode($"{context.Request.Scheme}://{context.Request.Host}{HeraldOptions.DefaultPath}");
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync($$"""
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Herald</title>
            <style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}pre{background:#f4f4f4;padding:.75rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}</style>
            </head>
            <body>
            <h1>Herald</h1>
            <p>This is a <a href="{{DocsUrl}}">Mercure</a> hub: clients subscribe to topics with Server-Sent Events,
            publishers POST updates, and JWTs (the <code>mercure</code> claim) say who may do what.</p>
            <p>Hub URL: <code>{{hub}}</code></p>
            <h2>Try it</h2>
            <pre>SUB=$(herald token --key "$KEY" --subscribe '*')
            curl -N -H "Authorization: Bearer $SUB" '{{hub}}?topic=https://example.com/books/1'

            PUB=$(herald token --key "$KEY" --publish '*')
            curl -H "Authorization: Bearer $PUB" -d topic=https://example.com/books/1 -d data=hello '{{hub}}'</pre>
            <p>See the README of the Herald repository for configuration, and the <a href="{{DocsUrl}}">Mercure specification</a>
            for the protocol. Health: <a href="{{ServeHost.HealthPath}}">{{ServeHost.HealthPath}}</a>; the health report:
            <code>{{hub}}/stats</code> (with a token granting <code>/.well-known/mercure/stats</code>).</p>
            </body>
            </html>
            """);
    }
}
