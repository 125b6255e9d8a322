using Herald.Protocol.Urls;

namespace Herald.Protocol.UrlPatterns;

/// <summary>What one component of a match gave: its (canonicalized) input and its groups.</summary>
internal sealed record UrlPatternComponentResult(string Input, Dictionary<string, string?> Groups);

/// <summary>
/// A URL pattern of the WHATWG URL Pattern standard (<c>new URLPattern(…)</c>): eight compiled components, matched
/// against a URL's components. Building throws <see cref="UrlPatternException"/> with a one-line reason.
/// </summary>
internal sealed class UrlPattern
{
    private readonly UrlPatternComponent[] _components;

    private UrlPattern(UrlPatternComponent[] components)
    {
        _components = components;
    }

    public string Protocol => _components[0].PatternString;

    public string Username => _components[1].PatternString;

    public string Password => _components[2].PatternString;

    public string Hostname => _components[3].PatternString;

    public string Port => _components[4].PatternString;

    public string Pathname => _components[5].PatternString;

    public string Search => _components[6].PatternString;

    public string Hash => _components[7].PatternString;

    public bool HasRegexpGroups => _components.Any(c => c.HasRegexpGroups);

    /// <summary>The sum of the components' weights: a bound on the matching work per input character.</summary>
    public long Weight => _components.Sum(c => c.Weight);

    public string this[int component] => _components[component].PatternString;

    /// <summary>The regex options of a component (tests check the engine).</summary>
    internal System.Text.RegularExpressions.RegexOptions ComponentOptions(int component) => _components[component].Options;

    /// <summary>A constructor string (<c>https://example.com/books/:id</c>), relative when a base URL is given.</summary>
    public static UrlPattern Create(string input, string? baseUrl, bool ignoreCase = false)
    {
        var init = ConstructorStringParser.Parse(input);
        if (baseUrl is null && init.Protocol is null)
        {
            throw new UrlPatternException($"the pattern \"{input}\" is relative and there is no base URL");
        }

        init.BaseUrl = baseUrl;
        return Create(init, ignoreCase);
    }

    public static UrlPattern Create(UrlPatternInit init, bool ignoreCase = false)
    {
        var processed = init.Process(isPattern: true, defaultValue: null);
        for (var i = 0; i < 8; i++)
        {
            processed[i] ??= "*";
        }

        // A plain port (no pattern syntax) that canonicalizes to the protocol's default port ("80", "80 ") is empty.
        if (UrlSchemes.IsSpecial(processed.Protocol!) && processed.Port!.Length > 0
            && PatternTokenizer.Tokenize(processed.Port, strict: false).All(t => t.Type is TokenType.Char or TokenType.End)
            && TryCanonicalPort(processed.Port, processed.Protocol!) == "")
        {
            processed.Port = "";
        }

        var caseOptions = ignoreCase ? PatternOptions.Default with { IgnoreCase = true } : PatternOptions.Default;
        var components = new UrlPatternComponent[8];
        components[0] = UrlPatternComponent.Compile(processed.Protocol!, UrlCanonicalizer.Protocol, PatternOptions.Default);
        components[1] = UrlPatternComponent.Compile(processed.Username!, UrlCanonicalizer.Username, PatternOptions.Default);
        components[2] = UrlPatternComponent.Compile(processed.Password!, UrlCanonicalizer.Password, PatternOptions.Default);
        var hostname = processed.Hostname!;
        components[3] = IsIPv6Pattern(hostname)
            ? UrlPatternComponent.Compile(hostname, UrlCanonicalizer.IPv6Hostname, PatternOptions.Hostname)
            : UrlPatternComponent.Compile(hostname, v => UrlCanonicalizer.Hostname(v), PatternOptions.Hostname);
        components[4] = UrlPatternComponent.Compile(processed.Port!, v => UrlCanonicalizer.Port(v), PatternOptions.Default);
        components[5] = UrlSchemes.Special.Any(components[0].IsMatch)
            ? UrlPatternComponent.Compile(processed.Pathname!, UrlCanonicalizer.Pathname, PatternOptions.Pathname with { IgnoreCase = ignoreCase })
            : UrlPatternComponent.Compile(processed.Pathname!, UrlCanonicalizer.OpaquePathname, caseOptions);
        components[6] = UrlPatternComponent.Compile(processed.Search!, UrlCanonicalizer.Search, caseOptions);
        components[7] = UrlPatternComponent.Compile(processed.Hash!, UrlCanonicalizer.Hash, caseOptions);
        return new UrlPattern(components);
    }

    /// <summary>Matches a parsed URL (parse a topic once, match it against many patterns).</summary>
    public bool Test(WhatwgUrl url)
    {
        // One URL tried on many patterns in a row (an update's topic on every subscribed pattern, on the dispatcher's
        // thread): its components are read once, not once per pattern. The cache holds the URL, so the reference
        // check cannot be fooled by a new URL at a reused address.
        if (!ReferenceEquals(t_lastUrl, url))
        {
            t_lastComponents = ComponentsOf(url);
            t_lastUrl = url;
        }

        return Matches(t_lastComponents!);
    }

    [ThreadStatic]
    private static WhatwgUrl? t_lastUrl;

    [ThreadStatic]
    private static string[]? t_lastComponents;

    /// <summary>Matches a URL string, resolved against <paramref name="baseUrl"/>; false when it does not parse.</summary>
    public bool Test(string url, string? baseUrl = null) =>
        WhatwgUrlParser.Parse(url, baseUrl) is { } parsed && Test(parsed);

    public bool Test(UrlPatternInit input) => Exec(input) is not null;

    public UrlPatternComponentResult[]? Exec(string url, string? baseUrl = null) =>
        WhatwgUrlParser.Parse(url, baseUrl) is { } parsed ? Exec(ComponentsOf(parsed)) : null;

    public UrlPatternComponentResult[]? Exec(UrlPatternInit input)
    {
        string[] values;
        try
        {
            var processed = input.Process(isPattern: false, defaultValue: "");
            values = [.. Enumerable.Range(0, 8).Select(i => processed[i]!)];
        }
        catch (UrlPatternException)
        {
            return null;
        }

        return Exec(values);
    }

    private static string[] ComponentsOf(WhatwgUrl url) =>
        [url.Scheme, url.Username, url.Password, url.Hostname, url.PortString, url.Pathname, url.Query ?? "", url.Fragment ?? ""];

    private bool Matches(string[] values)
    {
        for (var i = 0; i < 8; i++)
        {
            if (!_components[i].IsMatch(values[i]))
            {
                return false;
            }
        }

        return true;
    }

    private UrlPatternComponentResult[]? Exec(string[] values)
    {
        var results = new UrlPatternComponentResult[8];
        for (var i = 0; i < 8; i++)
        {
            if (_components[i].Exec(values[i]) is not { } groups)
            {
                return null;
            }

            results[i] = new(values[i], groups);
        }

        return results;
    }

    private static string? TryCanonicalPort(string port, string protocol)
    {
        try
        {
            return UrlCanonicalizer.Port(port, protocol);
        }
        catch (UrlPatternException)
        {
            return null;
        }
    }

    private static bool IsIPv6Pattern(string hostname) =>
        hostname.Length >= 2 && (hostname[0] == '[' || (hostname[0] is '{' or '\\' && hostname[1] == '['));
}
