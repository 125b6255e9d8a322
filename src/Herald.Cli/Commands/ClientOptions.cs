using System.CommandLine;
using Herald.Client;

namespace Herald.Cli.Commands;

/// <summary>The options <c>herald publish</c> and <c>herald subscribe</c> share, and the client they build.</summary>
internal static class ClientOptions
{
    public static Option<Uri> Hub() => new("--hub")
    {
        Description = "the hub's URL, e.g. http://127.0.0.1:5080/.well-known/mercure",
        Required = true,
        CustomParser = result =>
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                return uri;
            }

            result.AddError($"--hub: \"{text}\" is not an http(s) URL");
            return null;
        },
    };

    public static Option<string[]> Topic(string description) => new("--topic")
    {
        Description = description,
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Token() => new("--token") { Description = "the JWT to send [default: $HERALD_TOKEN]" };

    public static Option<string?> Key() => new("--key")
    {
        Description = "mint a token from this HMAC key instead of --token (the hub's --jwt-key) [default: $HERALD_JWTKEY]",
    };

    /// <summary>The token to use: <c>--token</c>, else one minted from <c>--key</c> granting <paramref name="topics"/>.</summary>
    public static string? ResolveToken(string? token, string? key, string[] topics, bool publish)
    {
        token ??= Environment.GetEnvironmentVariable("HERALD_TOKEN");
        if (!string.IsNullOrEmpty(token))
        {
            return token;
        }

        key ??= Environment.GetEnvironmentVariable("HERALD_JWTKEY");
        return string.IsNullOrEmpty(key)
            ? null
            : TokenCommand.CreateHmac(key, publish ? topics : [], publish ? [] : topics);
    }

    public static HeraldClient CreateClient(Uri hub, string? token) =>
        new(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, new HeraldClientOptions { HubUrl = hub, Token = token });
}
