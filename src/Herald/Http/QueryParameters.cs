using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Herald.Http;

/// <summary>
/// Reads named parameters straight from the raw query string, decoded exactly as <see cref="HttpRequest.Query"/>
/// decodes them (<c>+</c> is a space, names compare case-insensitively). <c>request.Query</c> builds a dictionary of
/// every parameter, with a string per name and value, on every subscribe: ~400 bytes of garbage per stream, which at
/// 10,000 connects is memory the process holds until the next collection.
/// </summary>
internal static class QueryParameters
{
    /// <summary>The values of <paramref name="name"/>, in order; empty when absent.</summary>
    public static StringValues Get(HttpRequest request, string name)
    {
        var values = StringValues.Empty;
        foreach (var pair in new QueryStringEnumerable(request.QueryString.Value))
        {
            if (NameIs(pair, name))
            {
                values = StringValues.Concat(values, pair.DecodeValue().ToString());
            }
        }

        return values;
    }

    public static bool Contains(HttpRequest request, string name)
    {
        foreach (var pair in new QueryStringEnumerable(request.QueryString.Value))
        {
            if (NameIs(pair, name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool NameIs(QueryStringEnumerable.EncodedNameValuePair pair, string name)
    {
        var encoded = pair.EncodedName.Span;

        // Most names need no decoding: compare them where they stand.
        return encoded.IndexOfAny('%', '+') < 0
            ? encoded.Equals(name, StringComparison.OrdinalIgnoreCase)
            : pair.DecodeName().Span.Equals(name, StringComparison.OrdinalIgnoreCase);
    }
}
