namespace Herald.Auth;

/// <summary>
/// A configured list of web origins: exact (<c>https://app.example.com</c>, compared case-insensitively without a
/// trailing slash), any port of one host (<c>http://localhost:*</c>), or <c>*</c> for any origin.
/// </summary>
internal sealed class OriginList
{
    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _anyPort = [];

    public OriginList(IEnumerable<string> origins)
    {
        foreach (var origin in origins.Select(o => o.Trim().TrimEnd('/')).Where(o => o.Length > 0))
        {
            if (origin == "*")
            {
                AllowsAny = true;
            }
            else if (origin.EndsWith(":*", StringComparison.Ordinal))
            {
                _anyPort.Add(origin[..^1]);
            }
            else
            {
                _exact.Add(origin);
            }
        }
    }

    public bool AllowsAny { get; }

    public bool IsEmpty => !AllowsAny && _exact.Count == 0 && _anyPort.Count == 0;

    /// <summary>Null when the entry is a valid origin pattern, else why not (for the options validator).</summary>
    public static string? Describe(string origin)
    {
        var text = origin.Trim().TrimEnd('/');
        if (text == "*")
        {
            return null;
        }

        var candidate = text.EndsWith(":*", StringComparison.Ordinal) ? text[..^2] : text;
        return Uri.TryCreate(candidate, UriKind.Absolute, out var uri)
               && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
               && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query)
               && candidate.Length == uri.GetLeftPart(UriPartial.Authority).Length
            ? null
            : $"\"{origin}\" is not an origin (scheme://host[:port], or scheme://host:* for any port)";
    }

    public bool Allows(string? origin)
    {
        if (string.IsNullOrEmpty(origin) || origin == "null")
        {
            return false;
        }

        if (AllowsAny || _exact.Contains(origin))
        {
            return true;
        }

        foreach (var prefix in _anyPort)
        {
            if (origin.Length == prefix.Length - 1 && prefix.StartsWith(origin, StringComparison.OrdinalIgnoreCase))
            {
                return true; // the scheme's default port: "http://localhost"
            }

            // "http://localhost:" followed by digits only: "http://localhost:8080", not "http://localhost:80.evil.com".
            if (origin.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
                && origin.Length > prefix.Length
                && origin.AsSpan(prefix.Length).IndexOfAnyExceptInRange('0', '9') < 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The origin of a request: its Origin header, else the scheme, host and port of its Referer.</summary>
    public static string? OfRequest(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (!string.IsNullOrEmpty(origin))
        {
            return origin;
        }

        var referer = request.Headers.Referer.ToString();
        return Uri.TryCreate(referer, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;
    }
}
