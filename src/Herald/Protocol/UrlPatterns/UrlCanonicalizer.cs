using Herald.Protocol.Urls;

namespace Herald.Protocol.UrlPatterns;

/// <summary>
/// The standard's component canonicalization: each value goes through the WHATWG URL parser (a dummy URL and a state
/// override), so that a pattern's fixed text is compared with inputs in the form the URL parser gives them.
/// </summary>
internal static class UrlCanonicalizer
{
    public static string Protocol(string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        return WhatwgUrlParser.Parse(value + "://dummy.test") is { } url
            ? url.Scheme
            : throw new UrlPatternException($"invalid protocol \"{value}\"");
    }

    public static string Username(string value) => PercentEncoding.Encode(value, EncodeSet.Userinfo);

    public static string Password(string value) => PercentEncoding.Encode(value, EncodeSet.Userinfo);

    /// <summary>
    /// A hostname (tabs and newlines removed; a ':' or another forbidden host code point is refused), for a special URL
    /// unless the protocol is known and not special: then an opaque host. Like browsers, '%' is allowed in a pattern.
    /// </summary>
    public static string Hostname(string value, string? protocol = null)
    {
        if (value.Length == 0)
        {
            return value;
        }

        var opaque = !string.IsNullOrEmpty(protocol) && !UrlSchemes.IsSpecial(protocol);
        var host = value.Replace("\t", "").Replace("\n", "").Replace("\r", "");
        string? result;
        if (host.StartsWith('[') || opaque)
        {
            result = UrlHost.Parse(host, opaque);
        }
        else if (host.Contains(':'))
        {
            result = null;
        }
        else if (host.Contains('%') && System.Text.Ascii.IsValid(host))
        {
            // Browsers keep '%' in a pattern's host (the URL parser would refuse it as a forbidden domain code point).
            result = host.Any(c => UrlHost.IsForbiddenHost(c) || c < 0x20 || c == 0x7F) ? null : host.ToLowerInvariant();
        }
        else
        {
            result = UrlHost.Parse(host, isOpaque: false);
        }

        return string.IsNullOrEmpty(result) ? throw new UrlPatternException($"invalid hostname \"{value}\"") : result;
    }

    /// <summary>A hostname pattern given in a URLPatternInit, cut like the hostname setter cuts it (at '/' and '#').</summary>
    public static string HostnamePattern(string value)
    {
        // Outside regular expression groups only: "(.com/)" is a group, not the start of a path.
        var depth = 0;
        for (var i = 0; i < value.Length; i++)
        {
            switch (value[i])
            {
                case '\\':
                    i++;
                    break;
                case '(':
                    depth++;
                    break;
                case ')':
                    depth = Math.Max(0, depth - 1);
                    break;
                case '/' or '#' when depth == 0:
                    value = value[..i];
                    break;
            }
        }

        return value.Replace("\t", "").Replace("\n", "").Replace("\r", "");
    }

    public static string IPv6Hostname(string value)
    {
        var result = new System.Text.StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c) && c is not '[' and not ']' and not ':')
            {
                throw new UrlPatternException($"invalid IPv6 hostname \"{value}\"");
            }

            result.Append(char.ToLowerInvariant(c));
        }

        return result.ToString();
    }

    public static string Port(string value, string? protocol = null)
    {
        if (value.Length == 0)
        {
            return value;
        }

        var url = new WhatwgUrl { Scheme = protocol ?? "" };
        return WhatwgUrlParser.Run(value, null, url, UrlState.Port)
            ? url.PortString
            : throw new UrlPatternException($"invalid port \"{value}\"");
    }

    public static string Pathname(string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        var leadingSlash = value[0] == '/';
        var url = new WhatwgUrl();
        if (!WhatwgUrlParser.Run(leadingSlash ? value : "/-" + value, null, url, UrlState.PathStart))
        {
            throw new UrlPatternException($"invalid pathname \"{value}\"");
        }

        var result = url.Pathname;
        return leadingSlash ? result : result[2..];
    }

    public static string OpaquePathname(string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        var url = new WhatwgUrl { OpaquePath = "" };
        WhatwgUrlParser.Run(value, null, url, UrlState.OpaquePath);
        return url.OpaquePath;
    }

    public static string Search(string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        var url = new WhatwgUrl { Query = "" };
        WhatwgUrlParser.Run(value, null, url, UrlState.Query);
        return url.Query;
    }

    public static string Hash(string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        var url = new WhatwgUrl { Fragment = "" };
        WhatwgUrlParser.Run(value, null, url, UrlState.Fragment);
        return url.Fragment;
    }
}
