using System.Globalization;
using System.Text;

namespace Herald.Protocol.UrlPatterns;

internal enum TokenType
{
    Open,
    Close,
    Regexp,
    Name,
    Char,
    EscapedChar,
    OtherModifier,
    Asterisk,
    End,
    InvalidChar,
}

/// <summary>A token: its type, where it starts in the input (UTF-16 index), and its value.</summary>
internal readonly record struct PatternToken(TokenType Type, int Index, string Value);

/// <summary>The URL Pattern standard's tokenizer (strict for pattern strings, lenient for constructor strings).</summary>
internal static class PatternTokenizer
{
    public static List<PatternToken> Tokenize(string input, bool strict)
    {
        var tokens = new List<PatternToken>();
        var index = 0;
        while (index < input.Length)
        {
            var (c, next) = CodePointAt(input, index);
            switch (c)
            {
                case '*':
                    tokens.Add(new(TokenType.Asterisk, index, "*"));
                    index = next;
                    continue;
                case '+' or '?':
                    tokens.Add(new(TokenType.OtherModifier, index, ((char)c).ToString()));
                    index = next;
                    continue;
                case '\\':
                    if (next >= input.Length)
                    {
                        Error(tokens, strict, input, index, next, "a pattern cannot end with an unescaped '\\'");
                        index = next;
                        continue;
                    }

                    var (_, afterEscaped) = CodePointAt(input, next);
                    tokens.Add(new(TokenType.EscapedChar, index, input[next..afterEscaped]));
                    index = afterEscaped;
                    continue;
                case '{':
                    tokens.Add(new(TokenType.Open, index, "{"));
                    index = next;
                    continue;
                case '}':
                    tokens.Add(new(TokenType.Close, index, "}"));
                    index = next;
                    continue;
                case ':':
                    index = TokenizeName(input, index, next, tokens, strict);
                    continue;
                case '(':
                    index = TokenizeRegexp(input, index, next, tokens, strict);
                    continue;
            }

            tokens.Add(new(TokenType.Char, index, input[index..next]));
            index = next;
        }

        tokens.Add(new(TokenType.End, input.Length, ""));
        return tokens;
    }

    public static (int CodePoint, int Next) CodePointAt(string input, int index) =>
        char.IsHighSurrogate(input[index]) && index + 1 < input.Length && char.IsLowSurrogate(input[index + 1])
            ? (char.ConvertToUtf32(input[index], input[index + 1]), index + 2)
            : (input[index], index + 1);

    /// <summary>JavaScript identifier code points: ID_Start (or $ _) first, then ID_Continue (or $ ZWNJ ZWJ).</summary>
    public static bool IsValidNameCodePoint(int c, bool first)
    {
        if (c is '$' or '_')
        {
            return true;
        }

        if (!first && c is 0x200C or 0x200D or 0x00B7 or 0x0387 or (>= 0x1369 and <= 0x1371) or 0x19DA)
        {
            return true;
        }

        if (c is 0x2118 or 0x212E or 0x309B or 0x309C or 0x1885 or 0x1886)
        {
            return true; // Other_ID_Start
        }

        if (c > 0x10FFFF || c is >= 0xD800 and <= 0xDFFF)
        {
            return false;
        }

        var category = CharUnicodeInfo.GetUnicodeCategory(c);
        var start = category is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber;
        return start || (!first && category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation);
    }

    private static int TokenizeName(string input, int index, int nameStart, List<PatternToken> tokens, bool strict)
    {
        var position = nameStart;
        while (position < input.Length)
        {
            var (c, next) = CodePointAt(input, position);
            if (!IsValidNameCodePoint(c, position == nameStart))
            {
                break;
            }

            position = next;
        }

        if (position <= nameStart)
        {
            Error(tokens, strict, input, index, nameStart, "':' must be followed by a group name");
            return nameStart;
        }

        tokens.Add(new(TokenType.Name, index, input[nameStart..position]));
        return position;
    }

    private static int TokenizeRegexp(string input, int index, int regexpStart, List<PatternToken> tokens, bool strict)
    {
        var depth = 1;
        var position = regexpStart;
        var value = new StringBuilder();
        string? error = null;
        while (position < input.Length)
        {
            var c = input[position];
            if (c > 0x7F)
            {
                error = "a regular expression group must be ASCII";
                break;
            }

            if (position == regexpStart && c == '?')
            {
                error = "a regular expression group cannot start with '?'";
                break;
            }

            if (c == '\\')
            {
                if (position == input.Length - 1)
                {
                    error = "a regular expression group cannot end with '\\'";
                    break;
                }

                if (input[position + 1] > 0x7F)
                {
                    error = "a regular expression group must be ASCII";
                    break;
                }

                value.Append(c).Append(input[position + 1]);
                position += 2;
                continue;
            }

            if (c == ')')
            {
                if (--depth == 0)
                {
                    position++;
                    break;
                }
            }
            else if (c == '(')
            {
                depth++;
                if (position == input.Length - 1 || input[position + 1] != '?')
                {
                    error = "a capturing group inside a regular expression group is not allowed: use (?:…)";
                    break;
                }
            }

            value.Append(c);
            position++;
        }

        if (error is null && depth != 0)
        {
            error = "unbalanced '(' in a regular expression group";
        }

        if (error is null && value.Length == 0)
        {
            error = "an empty regular expression group '()'";
        }

        if (error is not null)
        {
            Error(tokens, strict, input, index, regexpStart, error);
            return regexpStart;
        }

        tokens.Add(new(TokenType.Regexp, index, value.ToString()));
        return position;
    }

    private static void Error(List<PatternToken> tokens, bool strict, string input, int valueIndex, int next, string reason)
    {
        if (strict)
        {
            throw new UrlPatternException($"{reason} (at index {valueIndex})");
        }

        tokens.Add(new(TokenType.InvalidChar, valueIndex, input[valueIndex..next]));
    }
}
