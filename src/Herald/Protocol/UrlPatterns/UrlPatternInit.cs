using Herald.Protocol.Urls;

namespace Herald.Protocol.UrlPatterns;

/// <summary>The standard's URLPatternInit: components given one by one (null: not given), and a base URL.</summary>
internal sealed class UrlPatternInit
{
    public static readonly string[] ComponentNames = ["protocol", "username", "password", "hostname", "port", "pathname", "search", "hash"];

    private readonly string?[] _values = new string?[8];

    public string? Protocol { get => _values[0]; set => _values[0] = value; }

    public string? Username { get => _values[1]; set => _values[1] = value; }

    public string? Password { get => _values[2]; set => _values[2] = value; }

    public string? Hostname { get => _values[3]; set => _values[3] = value; }

    public string? Port { get => _values[4]; set => _values[4] = value; }

    public string? Pathname { get => _values[5]; set => _values[5] = value; }

    public string? Search { get => _values[6]; set => _values[6] = value; }

    public string? Hash { get => _values[7]; set => _values[7] = value; }

    public string? BaseUrl { get; set; }

    public string? this[int component]
    {
        get => _values[component];
        set => _values[component] = value;
    }

    /// <summary>
    /// The standard's "process a URLPatternInit": components inherited from the base URL, relative pathnames resolved
    /// against it, and (for type "url") every value canonicalized; for type "pattern", values are kept as patterns.
    /// </summary>
    public UrlPatternInit Process(bool isPattern, string? defaultValue)
    {
        var result = new UrlPatternInit();
        for (var i = 0; i < 8; i++)
        {
            result[i] = defaultValue;
        }

        WhatwgUrl? baseUrl = null;
        if (BaseUrl is not null)
        {
            baseUrl = WhatwgUrlParser.Parse(BaseUrl) ?? throw new UrlPatternException($"invalid base URL \"{BaseUrl}\"");
            string Inherit(string value) => isPattern ? PatternStringGenerator.EscapePatternString(value) : value;
            if (Protocol is null)
            {
                result.Protocol = Inherit(baseUrl.Scheme);
            }

            if (!isPattern && Protocol is null && Hostname is null && Port is null && Username is null)
            {
                result.Username = Inherit(baseUrl.Username);
            }

            if (!isPattern && Protocol is null && Hostname is null && Port is null && Username is null && Password is null)
            {
                result.Password = Inherit(baseUrl.Password);
            }

            if (Protocol is null && Hostname is null)
            {
                result.Hostname = Inherit(baseUrl.Hostname);
            }

            if (Protocol is null && Hostname is null && Port is null)
            {
                result.Port = baseUrl.PortString;
            }

            if (Protocol is null && Hostname is null && Port is null && Pathname is null)
            {
                result.Pathname = Inherit(baseUrl.Pathname);
            }

            if (Protocol is null && Hostname is null && Port is null && Pathname is null && Search is null)
            {
                result.Search = Inherit(baseUrl.Query ?? "");
            }

            if (Protocol is null && Hostname is null && Port is null && Pathname is null && Search is null && Hash is null)
            {
                result.Hash = Inherit(baseUrl.Fragment ?? "");
            }
        }

        if (Protocol is not null)
        {
            var stripped = Protocol.EndsWith(':') ? Protocol[..^1] : Protocol;
            result.Protocol = isPattern ? stripped : UrlCanonicalizer.Protocol(stripped);
        }

        if (Username is not null)
        {
            result.Username = isPattern ? Username : UrlCanonicalizer.Username(Username);
        }

        if (Password is not null)
        {
            result.Password = isPattern ? Password : UrlCanonicalizer.Password(Password);
        }

        if (Hostname is not null)
        {
            result.Hostname = isPattern ? UrlCanonicalizer.HostnamePattern(Hostname) : UrlCanonicalizer.Hostname(Hostname, result.Protocol);
        }

        if (Port is not null)
        {
            result.Port = isPattern ? Port : UrlCanonicalizer.Port(Port, result.Protocol);
        }

        if (Pathname is not null)
        {
            var pathname = Pathname;
            if (baseUrl is { HasOpaquePath: false } && !IsAbsolutePathname(pathname, isPattern))
            {
                var basePath = isPattern ? PatternStringGenerator.EscapePatternString(baseUrl.Pathname) : baseUrl.Pathname;
                var slash = basePath.LastIndexOf('/');
                if (slash >= 0)
                {
                    pathname = basePath[..(slash + 1)] + pathname;
                }
            }

            result.Pathname = isPattern ? pathname
                : string.IsNullOrEmpty(result.Protocol) || UrlSchemes.IsSpecial(result.Protocol) ? UrlCanonicalizer.Pathname(pathname)
                : UrlCanonicalizer.OpaquePathname(pathname);
        }

        if (Search is not null)
        {
            var stripped = Search.StartsWith('?') ? Search[1..] : Search;
            result.Search = isPattern ? stripped : UrlCanonicalizer.Search(stripped);
        }

        if (Hash is not null)
        {
            var stripped = Hash.StartsWith('#') ? Hash[1..] : Hash;
            result.Hash = isPattern ? stripped : UrlCanonicalizer.Hash(stripped);
        }

        return result;
    }

    private static bool IsAbsolutePathname(string input, bool isPattern)
    {
        if (input.Length == 0)
        {
            return false;
        }

        if (input[0] == '/')
        {
            return true;
        }

        return isPattern && input.Length >= 2 && input[0] is '\\' or '{' && input[1] == '/';
    }
}
