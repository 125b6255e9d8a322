using System.Text.Json;
using Herald.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Http;

/// <summary>The path a hub is mapped at, carried as endpoint metadata so refusals can point at its metadata document.</summary>
internal sealed record HeraldHubPath(string Path);

/// <summary>
/// OAuth 2.0 Protected Resource Metadata (RFC 9728) for the hub, at <c>/.well-known/oauth-protected-resource</c>
/// followed by the hub's path (draft-08, "Discovery"): the resource identifier tokens must name in <c>aud</c>, the
/// issuers, and how tokens may be presented. Public: it holds nothing a client could not learn by trying.
/// </summary>
internal static class ProtectedResourceMetadata
{
    public const string WellKnown = "/.well-known/oauth-protected-resource";

    /// <summary>Draft-08's revision number, advertised as <c>mercure_version</c>.</summary>
    public const int MercureVersion = 8;

    /// <summary>The hub's resource identifier: the configured one, else the URL this request reached the hub at.</summary>
    public static string ResourceOf(HttpContext context, HeraldOptions options, string hubPath) =>
        string.IsNullOrEmpty(options.Resource) ? BaseOf(context.Request) + hubPath : options.Resource;

    /// <summary>
    /// The absolute URL of the metadata document, for <c>resource_metadata</c> in challenges: derived from the
    /// resource identifier when it is an http(s) URL (RFC 9728 §3.1), else from the URL the request came in at.
    /// </summary>
    public static string UrlFor(HttpContext context)
    {
        var hubPath = context.GetEndpoint()?.Metadata.GetMetadata<HeraldHubPath>()?.Path ?? HeraldOptions.DefaultPath;
        var resource = context.RequestServices?.GetService<IOptionsMonitor<HeraldOptions>>()?.CurrentValue.Resource;
        if (Uri.TryCreate(resource, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            return uri.GetLeftPart(UriPartial.Authority) + WellKnown + uri.AbsolutePath.TrimEnd('/');
        }

        return BaseOf(context.Request) + WellKnown + hubPath;
    }

    public static async Task HandleAsync(HttpContext context, string hubPath)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<HeraldOptions>>().CurrentValue;
        var response = context.Response;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "public, max-age=300";
        // Discovery happens from any page: metadata is public, and carries no credentials.
        response.Headers.AccessControlAllowOrigin = "*";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("resource", ResourceOf(context, options, hubPath));
            var issuers = options.Issuers.Where(i => !string.IsNullOrEmpty(i.Id)).Select(i => i.Id!).Distinct().ToList();
            if (issuers.Count > 0)
            {
                json.WriteStartArray("authorization_servers");
                issuers.ForEach(json.WriteStringValue);
                json.WriteEndArray();
            }

            // Never "query": this hub takes no 1.0 access token from the URL (docs/security.md).
            json.WriteStartArray("bearer_methods_supported");
            json.WriteStringValue("header");
            json.WriteEndArray();
            json.WriteStartArray("authorization_details_types_supported");
            json.WriteStringValue(AuthorizationDetails.Type);
            json.WriteStringValue(AuthorizationDetails.DraftType);
            json.WriteEndArray();
            json.WriteBoolean("mercure_cookie", true);
            json.WriteString("mercure_cookie_name", TokenSource.AccessTokenCookie);
            json.WriteBoolean("mercure_subscriptions", options.Subscriptions);
            json.WriteNumber("mercure_version", MercureVersion);
            json.WriteEndObject();
        }

        await response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
    }

    private static string BaseOf(HttpRequest request) =>
        $"{request.Scheme}://{(request.Host.HasValue ? request.Host.Value : "localhost")}{request.PathBase}";
}
