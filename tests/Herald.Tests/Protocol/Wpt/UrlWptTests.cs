using System.Text;
using System.Text.Json.Nodes;
using Herald.Protocol.Urls;

namespace Herald.Tests.Protocol.Wpt;

/// <summary>
/// Every case of WPT's url/resources/urltestdata.json, checked as url-constructor.any.js and url-origin.any.js check
/// them: <c>new URL(input, base)</c> fails when "failure" is set, else every getter matches (origin and searchParams
/// when the case lists them).
/// </summary>
public class UrlWptTests
{
    private const string File = "urltestdata.json";

    private static readonly string[] Getters = ["href", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];

    public static TheoryData<int, string> Cases =>
        WptData.Rows(File, e => e is JsonObject, e => $"{e["input"]!.ToJsonString()} against {e["base"]?.ToJsonString() ?? "no base"}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case(int index, string label)
    {
        _ = label;
        var entry = WptData.Load(File)[index]!.AsObject();
        var input = entry["input"]!.GetValue<string>();
        WhatwgUrl? url = null;
        var baseText = entry["base"]?.GetValue<string>();
        if (baseText is null || WhatwgUrlParser.Parse(baseText) is { } baseUrl && (url = WhatwgUrlParser.Parse(input, baseUrl)) is not null)
        {
            url ??= baseText is null ? WhatwgUrlParser.Parse(input) : url;
        }

        if (entry["failure"]?.GetValue<bool>() == true)
        {
            Assert.True(url is null, $"expected failure, got {url?.Href}");
            return;
        }

        Assert.True(url is not null, "expected a URL, got failure");
        foreach (var getter in Getters)
        {
            var expected = entry[getter]!.GetValue<string>();
            var actual = Get(url, getter);
            Assert.True(expected == actual, $"{getter}: expected \"{expected}\", got \"{actual}\"");
        }

        if (entry["origin"] is { } origin)
        {
            Assert.Equal(origin.GetValue<string>(), url.Origin);
        }

        if (entry["searchParams"] is { } searchParams)
        {
            Assert.Equal(searchParams.GetValue<string>(), SerializeSearchParams(url.Query ?? ""));
        }
    }

    private static string Get(WhatwgUrl url, string getter) => getter switch
    {
        "href" => url.Href,
        "protocol" => url.Protocol,
        "username" => url.Username,
        "password" => url.Password,
        "host" => url.HostAndPort,
        "hostname" => url.Hostname,
        "port" => url.PortString,
        "pathname" => url.Pathname,
        "search" => url.Search,
        _ => url.Hash,
    };

    /// <summary>URLSearchParams' stringifier: the query parsed as application/x-www-form-urlencoded, then serialized.</summary>
    private static string SerializeSearchParams(string query)
    {
        var pairs = new List<string>();
        foreach (var piece in query.Split('&'))
        {
            if (piece.Length == 0)
            {
                continue;
            }

            var equals = piece.IndexOf('=');
            var (name, value) = equals < 0 ? (piece, "") : (piece[..equals], piece[(equals + 1)..]);
            pairs.Add(FormEncode(FormDecode(name)) + "=" + FormEncode(FormDecode(value)));
        }

        return string.Join('&', pairs);
    }

    private static string FormDecode(string value) =>
        new UTF8Encoding(false, false).GetString(PercentEncoding.DecodeToBytes(value.Replace('+', ' ')));

    private static string FormEncode(string value)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b == ' ')
            {
                builder.Append('+');
            }
            else if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'*' or (byte)'-' or (byte)'.' or (byte)'_')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
