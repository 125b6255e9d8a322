using System.Text;

namespace Herald.Protocol.Urls;

/// <summary>
/// The WHATWG basic URL parser, state by state, with the state overrides that URL Pattern's canonicalization (and
/// the URL setters) use. Linear in the input: each state consumes code points and never rescans more than once.
/// </summary>
internal static partial class WhatwgUrlParser
{
    private const int Eof = -1;

    /// <summary>Parses <paramref name="input"/> against <paramref name="baseUrl"/>; null for failure.</summary>
    public static WhatwgUrl? Parse(string input, WhatwgUrl? baseUrl = null)
    {
        var url = new WhatwgUrl();
        return Run(input, baseUrl, url, UrlState.None) ? url : null;
    }

    public static WhatwgUrl? Parse(string input, string? baseUrl)
    {
        WhatwgUrl? parsedBase = null;
        if (baseUrl is not null && (parsedBase = Parse(baseUrl)) is null)
        {
            return null;
        }

        return Parse(input, parsedBase);
    }

    /// <summary>Runs the parser on an existing URL from <paramref name="stateOverride"/>; false for failure.</summary>
    public static bool Run(string input, WhatwgUrl? baseUrl, WhatwgUrl url, UrlState stateOverride)
    {
        var overridden = stateOverride != UrlState.None;
        var cps = CodePoints(input, trimControlsAndSpaces: !overridden);
        var state = overridden ? stateOverride : UrlState.SchemeStart;
        var buffer = new StringBuilder();
        bool atSignSeen = false, insideBrackets = false, passwordTokenSeen = false;
        for (var pointer = 0; ; pointer++)
        {
            var c = pointer < cps.Length ? cps[pointer] : Eof;
            if (pointer > cps.Length)
            {
                break;
            }

            bool Remaining(int offset, int value) => pointer + offset < cps.Length && cps[pointer + offset] == value;
            switch (state)
            {
                case UrlState.SchemeStart:
                    if (IsAsciiAlpha(c))
                    {
                        buffer.Append(char.ToLowerInvariant((char)c));
                        state = UrlState.Scheme;
                    }
                    else if (!overridden)
                    {
                        state = UrlState.NoScheme;
                        pointer--;
                    }
                    else
                    {
                        return false;
                    }

                    break;

                case UrlState.Scheme:
                    if (IsAsciiAlpha(c) || c is (>= '0' and <= '9') or '+' or '-' or '.')
                    {
                        buffer.Append(char.ToLowerInvariant((char)c));
                    }
                    else if (c == ':')
                    {
                        var scheme = buffer.ToString();
                        if (overridden)
                        {
                            if (url.IsSpecial != UrlSchemes.IsSpecial(scheme)
                                || ((url.HasCredentials || url.Port is not null) && scheme == "file")
                                || (url.Scheme == "file" && url.Host == ""))
                            {
                                return true;
                            }
                        }

                        url.Scheme = scheme;
                        if (overridden)
                        {
                            if (url.Port == UrlSchemes.DefaultPort(scheme))
                            {
                                url.Port = null;
                            }

                            return true;
                        }

                        buffer.Clear();
                        if (scheme == "file")
                        {
                            state = UrlState.File;
                        }
                        else if (url.IsSpecial && baseUrl is not null && baseUrl.Scheme == scheme)
                        {
                            state = UrlState.SpecialRelativeOrAuthority;
                        }
                        else if (url.IsSpecial)
                        {
                            state = UrlState.SpecialAuthoritySlashes;
                        }
                        else if (Remaining(1, '/'))
                        {
                            state = UrlState.PathOrAuthority;
                            pointer++;
                        }
                        else
                        {
                            url.OpaquePath = "";
                            state = UrlState.OpaquePath;
                        }
                    }
                    else if (!overridden)
                    {
                        buffer.Clear();
                        state = UrlState.NoScheme;
                        pointer = -1;
                    }
                    else
                    {
                        return false;
                    }

                    break;

                case UrlState.NoScheme:
                    if (baseUrl is null || (baseUrl.HasOpaquePath && c != '#'))
                    {
                        return false;
                    }

                    if (baseUrl.HasOpaquePath)
                    {
                        url.Scheme = baseUrl.Scheme;
                        url.OpaquePath = baseUrl.OpaquePath;
                        url.Query = baseUrl.Query;
                        url.Fragment = "";
                        state = UrlState.Fragment;
                    }
                    else
                    {
                        state = baseUrl.Scheme != "file" ? UrlState.Relative : UrlState.File;
                        pointer--;
                    }

                    break;

                case UrlState.SpecialRelativeOrAuthority:
                    if (c == '/' && Remaining(1, '/'))
                    {
                        state = UrlState.SpecialAuthorityIgnoreSlashes;
                        pointer++;
                    }
                    else
                    {
                        state = UrlState.Relative;
                        pointer--;
                    }

                    break;

                case UrlState.PathOrAuthority:
                    if (c == '/')
                    {
                        state = UrlState.Authority;
                    }
                    else
                    {
                        state = UrlState.Path;
                        pointer--;
                    }

                    break;

                case UrlState.Relative:
                    url.Scheme = baseUrl!.Scheme;
                    if (c == '/' || (url.IsSpecial && c == '\\'))
                    {
                        state = UrlState.RelativeSlash;
                    }
                    else
                    {
                        CopyAuthority(baseUrl, url);
                        url.Path = [.. baseUrl.Path];
                        url.Query = baseUrl.Query;
                        if (c == '?')
                        {
                            url.Query = "";
                            state = UrlState.Query;
                        }
                        else if (c == '#')
                        {
                            url.Fragment = "";
                            state = UrlState.Fragment;
                        }
                        else if (c != Eof)
                        {
                            url.Query = null;
                            ShortenPath(url);
                            state = UrlState.Path;
                            pointer--;
                        }
                    }

                    break;

                case UrlState.RelativeSlash:
                    if (url.IsSpecial && c is '/' or '\\')
                    {
                        state = UrlState.SpecialAuthorityIgnoreSlashes;
                    }
                    else if (c == '/')
                    {
                        state = UrlState.Authority;
                    }
                    else
                    {
                        CopyAuthority(baseUrl!, url);
                        state = UrlState.Path;
                        pointer--;
                    }

                    break;

                case UrlState.SpecialAuthoritySlashes:
                    state = UrlState.SpecialAuthorityIgnoreSlashes;
                    if (c == '/' && Remaining(1, '/'))
                    {
                        pointer++;
                    }
                    else
                    {
                        pointer--;
                    }

                    break;

                case UrlState.SpecialAuthorityIgnoreSlashes:
                    if (c is not '/' and not '\\')
                    {
                        state = UrlState.Authority;
                        pointer--;
                    }

                    break;

                case UrlState.Authority:
                    if (c == '@')
                    {
                        if (atSignSeen)
                        {
                            buffer.Insert(0, "%40");
                        }

                        atSignSeen = true;
                        var credentials = new StringBuilder();
                        var text = buffer.ToString();
                        foreach (var rune in text.EnumerateRunes())
                        {
                            if (rune.Value == ':' && !passwordTokenSeen)
                            {
                                url.Username += credentials.ToString();
                                credentials.Clear();
                                passwordTokenSeen = true;
                                continue;
                            }

                            PercentEncoding.Append(credentials, rune.Value, EncodeSet.Userinfo);
                        }

                        if (passwordTokenSeen)
                        {
                            url.Password += credentials.ToString();
                        }
                        else
                        {
                            url.Username += credentials.ToString();
                        }

                        buffer.Clear();
                    }
                    else if (c is Eof or '/' or '?' or '#' || (url.IsSpecial && c == '\\'))
                    {
                        if (atSignSeen && buffer.Length == 0)
                        {
                            return false;
                        }

                        pointer -= CountCodePoints(buffer) + 1;
                        buffer.Clear();
                        state = UrlState.Host;
                    }
                    else
                    {
                        AppendCodePoint(buffer, c);
                    }

                    break;

                case UrlState.Host:
                case UrlState.Hostname:
                    if (overridden && url.Scheme == "file")
                    {
                        pointer--;
                        state = UrlState.FileHost;
                    }
                    else if (c == ':' && !insideBrackets)
                    {
                        if (buffer.Length == 0 || stateOverride == UrlState.Hostname)
                        {
                            return false;
                        }

                        if (UrlHost.Parse(buffer.ToString(), !url.IsSpecial) is not { } host)
                        {
                            return false;
                        }

                        url.Host = host;
                        buffer.Clear();
                        state = UrlState.Port;
                    }
                    else if (c is Eof or '/' or '?' or '#' || (url.IsSpecial && c == '\\'))
                    {
                        pointer--;
                        if (url.IsSpecial && buffer.Length == 0)
                        {
                            return false;
                        }

                        if (overridden && buffer.Length == 0 && (url.HasCredentials || url.Port is not null))
                        {
                            return false;
                        }

                        if (UrlHost.Parse(buffer.ToString(), !url.IsSpecial) is not { } host)
                        {
                            return false;
                        }

                        url.Host = host;
                        buffer.Clear();
                        state = UrlState.PathStart;
                        if (overridden)
                        {
                            return true;
                        }
                    }
                    else
                    {
                        insideBrackets = c == '[' || (c != ']' && insideBrackets);
                        AppendCodePoint(buffer, c);
                    }

                    break;

                case UrlState.Port:
                    if (c is >= '0' and <= '9')
                    {
                        buffer.Append((char)c);
                    }
                    else if (c is Eof or '/' or '?' or '#' || (url.IsSpecial && c == '\\') || overridden)
                    {
                        if (buffer.Length > 0)
                        {
                            var digits = buffer.ToString().TrimStart('0');
                            if (digits.Length > 5 || (digits.Length > 0 && int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture) > 65535))
                            {
                                return false;
                            }

                            var port = digits.Length == 0 ? 0 : int.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
                            url.Port = port == UrlSchemes.DefaultPort(url.Scheme) ? null : port;
                            buffer.Clear();
                            if (overridden)
                            {
                                return true;
                            }
                        }

                        if (overridden)
                        {
                            return false;
                        }

                        state = UrlState.PathStart;
                        pointer--;
                    }
                    else
                    {
                        return false;
                    }

                    break;

                case UrlState.File:
                    url.Scheme = "file";
                    url.Host = "";
                    if (c is '/' or '\\')
                    {
                        state = UrlState.FileSlash;
                    }
                    else if (baseUrl is { Scheme: "file" })
                    {
                        url.Host = baseUrl.Host;
                        url.Path = [.. baseUrl.Path];
                        url.Query = baseUrl.Query;
                        if (c == '?')
                        {
                            url.Query = "";
                            state = UrlState.Query;
                        }
                        else if (c == '#')
                        {
                            url.Fragment = "";
                            state = UrlState.Fragment;
                        }
                        else if (c != Eof)
                        {
                            url.Query = null;
                            if (!StartsWithWindowsDriveLetter(cps, pointer))
                            {
                                ShortenPath(url);
                            }
                            else
                            {
                                url.Path = [];
                            }

                            state = UrlState.Path;
                            pointer--;
                        }
                    }
                    else
                    {
                        state = UrlState.Path;
                        pointer--;
                    }

                    break;

                case UrlState.FileSlash:
                    if (c is '/' or '\\')
                    {
                        state = UrlState.FileHost;
                    }
                    else
                    {
                        if (baseUrl is { Scheme: "file" })
                        {
                            url.Host = baseUrl.Host;
                            if (!StartsWithWindowsDriveLetter(cps, pointer) && baseUrl.Path.Count > 0 && IsWindowsDriveLetter(baseUrl.Path[0], normalized: true))
                            {
                                url.Path.Add(baseUrl.Path[0]);
                            }
                        }

                        state = UrlState.Path;
                        pointer--;
                    }

                    break;

                case UrlState.FileHost:
                    if (c is Eof or '/' or '\\' or '?' or '#')
                    {
                        pointer--;
                        if (!overridden && IsWindowsDriveLetter(buffer.ToString(), normalized: false))
                        {
                            state = UrlState.Path;
                        }
                        else if (buffer.Length == 0)
                        {
                            url.Host = "";
                            if (overridden)
                            {
                                return true;
                            }

                            state = UrlState.PathStart;
                        }
                        else
                        {
                            if (UrlHost.Parse(buffer.ToString(), !url.IsSpecial) is not { } host)
                            {
                                return false;
                            }

                            url.Host = host == "localhost" ? "" : host;
                            if (overridden)
                            {
                                return true;
                            }

                            buffer.Clear();
                            state = UrlState.PathStart;
                        }
                    }
                    else
                    {
                        AppendCodePoint(buffer, c);
                    }

                    break;

                case UrlState.PathStart:
                    if (url.IsSpecial)
                    {
                        state = UrlState.Path;
                        if (c is not '/' and not '\\')
                        {
                            pointer--;
                        }
                    }
                    else if (!overridden && c == '?')
                    {
                        url.Query = "";
                        state = UrlState.Query;
                    }
                    else if (!overridden && c == '#')
                    {
                        url.Fragment = "";
                        state = UrlState.Fragment;
                    }
                    else if (c != Eof)
                    {
                        state = UrlState.Path;
                        if (c != '/')
                        {
                            pointer--;
                        }
                    }
                    else if (overridden && url.Host is null)
                    {
                        url.Path.Add("");
                    }

                    break;

                case UrlState.Path:
                    if (c is Eof or '/' || (url.IsSpecial && c == '\\') || (!overridden && c is '?' or '#'))
                    {
                        var segment = buffer.ToString();
                        var slash = c == '/' || (url.IsSpecial && c == '\\');
                        if (IsDoubleDot(segment))
                        {
                            ShortenPath(url);
                            if (!slash)
                            {
                                url.Path.Add("");
                            }
                        }
                        else if (IsSingleDot(segment))
                        {
                            if (!slash)
                            {
                                url.Path.Add("");
                            }
                        }
                        else
                        {
                            if (url.Scheme == "file" && url.Path.Count == 0 && IsWindowsDriveLetter(segment, normalized: false))
                            {
                                segment = segment[0] + ":" + segment[2..];
                            }

                            url.Path.Add(segment);
                        }

                        buffer.Clear();
                        if (c == '?')
                        {
                            url.Query = "";
                            state = UrlState.Query;
                        }
                        else if (c == '#')
                        {
                            url.Fragment = "";
                            state = UrlState.Fragment;
                        }
                    }
                    else
                    {
                        PercentEncoding.Append(buffer, c, EncodeSet.Path);
                    }

                    break;

                case UrlState.OpaquePath:
                    if (c == '?')
                    {
                        url.Query = "";
                        state = UrlState.Query;
                    }
                    else if (c == '#')
                    {
                        url.Fragment = "";
                        state = UrlState.Fragment;
                    }
                    else if (c == ' ')
                    {
                        url.OpaquePath += Remaining(1, '?') || Remaining(1, '#') ? "%20" : " ";
                    }
                    else if (c != Eof)
                    {
                        var path = new StringBuilder(url.OpaquePath);
                        PercentEncoding.Append(path, c, EncodeSet.C0Control);
                        url.OpaquePath = path.ToString();
                    }

                    break;

                case UrlState.Query:
                    if ((!overridden && c == '#') || c == Eof)
                    {
                        var set = url.IsSpecial ? EncodeSet.SpecialQuery : EncodeSet.Query;
                        url.Query += PercentEncoding.Encode(buffer.ToString(), set);
                        buffer.Clear();
                        if (c == '#')
                        {
                            url.Fragment = "";
                            state = UrlState.Fragment;
                        }
                    }
                    else
                    {
                        AppendCodePoint(buffer, c);
                    }

                    break;

                case UrlState.Fragment:
                    if (c != Eof)
                    {
                        var fragment = new StringBuilder(url.Fragment);
                        PercentEncoding.Append(fragment, c, EncodeSet.Fragment);
                        url.Fragment = fragment.ToString();
                    }

                    break;
            }

            if (pointer >= cps.Length)
            {
                break;
            }
        }

        return true;
    }
}
