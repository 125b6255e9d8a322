using System.Collections.Concurrent;
using System.Globalization;

namespace Herald.Protocol.UrlPatterns;

/// <summary>
/// <c>\p{…}</c> in pattern groups: General_Category values (short or long names, optionally <c>gc=</c>) and the binary
/// properties ASCII, Any and Assigned. Scripts and other properties are refused. Each set is computed once.
/// </summary>
internal static class UnicodeProperties
{
    private static readonly ConcurrentDictionary<string, CodePointSet> Cache = new(StringComparer.Ordinal);

    private static readonly Dictionary<string, UnicodeCategory[]> Categories = BuildCategories();

    public static CodePointSet Parse(JsRegexTranslator translator, bool negated)
    {
        var name = translator.ReadPropertyName();
        var value = name;
        var equals = name.IndexOf('=');
        if (equals >= 0)
        {
            if (name[..equals] is not ("gc" or "General_Category"))
            {
                throw translator.PropertyError(name);
            }

            value = name[(equals + 1)..];
        }

        var set = Cache.GetOrAdd(value, Build) ?? throw translator.PropertyError(name);
        if (set.IsEmpty && value != "Cs")
        {
            throw translator.PropertyError(name);
        }

        return negated ? set.Complement() : set;
    }

    private static CodePointSet Build(string value)
    {
        switch (value)
        {
            case "ASCII": return CodePointSet.Of(0, 0x7F);
            case "Any": return CodePointSet.Of(0, CodePointSet.MaxCodePoint);
            case "Assigned": return FromCategories([UnicodeCategory.OtherNotAssigned]).Complement();
        }

        return Categories.TryGetValue(value, out var categories) ? FromCategories(categories) : CodePointSet.Empty;
    }

    private static CodePointSet FromCategories(UnicodeCategory[] categories)
    {
        var ranges = new List<(int, int)>();
        var start = -1;
        for (var c = 0; c <= CodePointSet.MaxCodePoint + 1; c++)
        {
            var inSet = c <= CodePointSet.MaxCodePoint && Array.IndexOf(categories, CharUnicodeInfo.GetUnicodeCategory(c)) >= 0;
            if (inSet && start < 0)
            {
                start = c;
            }
            else if (!inSet && start >= 0)
            {
                ranges.Add((start, c - 1));
                start = -1;
            }
        }

        return CodePointSet.Of([.. ranges]);
    }

    private static Dictionary<string, UnicodeCategory[]> BuildCategories()
    {
        var single = new (string Short, string Long, UnicodeCategory Category)[]
        {
            ("Lu", "Uppercase_Letter", UnicodeCategory.UppercaseLetter), ("Ll", "Lowercase_Letter", UnicodeCategory.LowercaseLetter),
            ("Lt", "Titlecase_Letter", UnicodeCategory.TitlecaseLetter), ("Lm", "Modifier_Letter", UnicodeCategory.ModifierLetter),
            ("Lo", "Other_Letter", UnicodeCategory.OtherLetter), ("Mn", "Nonspacing_Mark", UnicodeCategory.NonSpacingMark),
            ("Mc", "Spacing_Mark", UnicodeCategory.SpacingCombiningMark), ("Me", "Enclosing_Mark", UnicodeCategory.EnclosingMark),
            ("Nd", "Decimal_Number", UnicodeCategory.DecimalDigitNumber), ("Nl", "Letter_Number", UnicodeCategory.LetterNumber),
            ("No", "Other_Number", UnicodeCategory.OtherNumber), ("Pc", "Connector_Punctuation", UnicodeCategory.ConnectorPunctuation),
            ("Pd", "Dash_Punctuation", UnicodeCategory.DashPunctuation), ("Ps", "Open_Punctuation", UnicodeCategory.OpenPunctuation),
            ("Pe", "Close_Punctuation", UnicodeCategory.ClosePunctuation), ("Pi", "Initial_Punctuation", UnicodeCategory.InitialQuotePunctuation),
            ("Pf", "Final_Punctuation", UnicodeCategory.FinalQuotePunctuation), ("Po", "Other_Punctuation", UnicodeCategory.OtherPunctuation),
            ("Sm", "Math_Symbol", UnicodeCategory.MathSymbol), ("Sc", "Currency_Symbol", UnicodeCategory.CurrencySymbol),
            ("Sk", "Modifier_Symbol", UnicodeCategory.ModifierSymbol), ("So", "Other_Symbol", UnicodeCategory.OtherSymbol),
            ("Zs", "Space_Separator", UnicodeCategory.SpaceSeparator), ("Zl", "Line_Separator", UnicodeCategory.LineSeparator),
            ("Zp", "Paragraph_Separator", UnicodeCategory.ParagraphSeparator), ("Cc", "Control", UnicodeCategory.Control),
            ("Cf", "Format", UnicodeCategory.Format), ("Cs", "Surrogate", UnicodeCategory.Surrogate),
            ("Co", "Private_Use", UnicodeCategory.PrivateUse), ("Cn", "Unassigned", UnicodeCategory.OtherNotAssigned),
        };
        var result = new Dictionary<string, UnicodeCategory[]>(StringComparer.Ordinal);
        foreach (var (shortName, longName, category) in single)
        {
            result[shortName] = result[longName] = [category];
        }

        foreach (var (shortName, longName) in new[] { ("L", "Letter"), ("M", "Mark"), ("N", "Number"), ("P", "Punctuation"), ("S", "Symbol"), ("Z", "Separator"), ("C", "Other") })
        {
            result[shortName] = result[longName] = [.. single.Where(s => s.Short[0] == shortName[0]).Select(s => s.Category)];
        }

        result["LC"] = result["Cased_Letter"] = [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter];
        return result;
    }
}
