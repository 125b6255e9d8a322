using System.Globalization;
using System.Text;

namespace Herald.Protocol.Urls;

/// <summary>
/// A URL record of the WHATWG URL standard (not <see cref="Uri"/>, which follows RFC 3986 and differs on non-special
/// schemes, percent-encode sets and dot segments). The getters are those of the JavaScript <c>URL</c> class.
/// </summary>
internal sealed class WhatwgUrl
{
    public string Scheme { get; set; } = "";

    public string Username { get; set; } = "";

    public string Password { get; set; } = "";

    /// <summary>The serialized host ("" for the empty host), null when the URL has none.</summary>
    public string? Host { get; set; }

    public int? Port { get; set; }

    /// <summary>The path segments; unused when <see cref="OpaquePath"/> is set.</summary>
    public List<string> Path { get; set; } = [];

    /// <summary>The path of a URL such as <c>mailto:x</c> or <c>urn:a:b</c>: a string, not segments.</summary>
    public string? OpaquePath { get; set; }

    public string? Query { get; set; }

    public string? Fragment { get; set; }

    public bool IsSpecial => UrlSchemes.IsSpecial(Scheme);

    public bool HasOpaquePath => OpaquePath is not null;

    public bool HasCredentials => Username.Length > 0 || Password.Length > 0;

    public string Protocol => Scheme + ":";

    public string Hostname => Host ?? "";

    public string PortString => Port?.ToString(CultureInfo.InvariantCulture) ?? "";

    public string HostAndPort => Host is null ? "" : Port is null ? Host : Host + ":" + PortString;

    public string Pathname
    {
        get
        {
            if (OpaquePath is not null)
            {
                return OpaquePath;
            }

            var builder = new StringBuilder();
            foreach (var segment in Path)
            {
                builder.Append('/').Append(segment);
            }

            return builder.ToString();
        }
    }

    public string Search => string.IsNullOrEmpty(Query) ? "" : "?" + Query;

    public string Hash => string.IsNullOrEmpty(Fragment) ? "" : "#" + Fragment;

    public string Href
    {
        get
        {
            var builder = new StringBuilder(Scheme).Append(':');
            if (Host is not null)
            {
                builder.Append("//");
                if (HasCredentials)
                {
                    builder.Append(Username);
                    if (Password.Length > 0)
                    {
                        builder.Append(':').Append(Password);
                    }

                    builder.Append('@');
                }

                builder.Append(HostAndPort);
            }
            else if (OpaquePath is null && Path.Count > 1 && Path[0].Length == 0)
            {
                builder.Append("/.");
            }

            builder.Append(Pathname);
            if (Query is not null)
            {
                builder.Append('?').Append(Query);
            }

            if (Fragment is not null)
            {
                builder.Append('#').Append(Fragment);
            }

            return builder.ToString();
        }
    }

    public string Origin
    {
        get
        {
            if (Scheme == "blob")
            {
                var inner = WhatwgUrlParser.Parse(Pathname);
                return inner is { Scheme: "http" or "https" } ? inner.Origin : "null";
            }

            return Scheme is "ftp" or "http" or "https" or "ws" or "wss" ? Scheme + "://" + HostAndPort : "null";
        }
    }

    public WhatwgUrl Clone() => new()
    {
        Scheme = Scheme,
        Username = Username,
        Password = Password,
        Host = Host,
        Port = Port,
        Path = [.. Path],
        OpaquePath = OpaquePath,
        Query = Query,
        Fragment = Fragment,
    };

    public override string ToString() => Href;
}

internal static class UrlSchemes
{
    public static readonly string[] Special = ["ftp", "file", "http", "https", "ws", "wss"];

    public static bool IsSpecial(string scheme) => scheme is "ftp" or "file" or "http" or "https" or "ws" or "wss";

    public static int? DefaultPort(string scheme) => scheme switch
    {
        "ftp" => 21,
        "http" or "ws" => 80,
        "https" or "wss" => 443,
        _ => null,
    };
}
