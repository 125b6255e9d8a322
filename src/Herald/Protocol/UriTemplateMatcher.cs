using System.Text.RegularExpressions;

namespace Herald.Protocol;

// Placeholder replaced by the full RFC 6570 matcher.
internal static class UriTemplateMatcher
{
    public static Regex? TryCompile(string template) => null;
}
