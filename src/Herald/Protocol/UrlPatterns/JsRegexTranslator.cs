using System.Globalization;
using System.Text;

namespace Herald.Protocol.UrlPatterns;

/// <summary>
/// Translates the JavaScript regular expressions of URL pattern groups (the standard compiles them with the
/// <c>v</c> flag) to .NET syntax for <c>RegexOptions.NonBacktracking</c>, which cannot be combined with
/// <c>RegexOptions.ECMAScript</c>: <c>\d \w \s</c> and <c>.</c> get their JavaScript sets, classes are computed
/// (<see cref="CodePointSet"/>), <c>$</c> becomes <c>\z</c>. What a linear-time engine cannot run — lookaround,
/// backreferences — is refused, as the reference hub's RE2 does, and so are named groups and modifiers.
/// <see cref="Weight"/> counts atoms times their enclosing repetition bounds: it bounds the automaton's size.
/// </summary>
internal sealed partial class JsRegexTranslator
{
    /// <summary>64: the largest bound of a counted repetition <c>{n,m}</c>.</summary>
    public const int MaxRepetition = 64;

    private readonly string _source;
    private readonly StringBuilder _output = new();
    private int _position;
    private long _multiplier = 1;

    private JsRegexTranslator(string source)
    {
        _source = source;
    }

    /// <summary>Atoms, each counted once per repetition that can unroll it.</summary>
    public long Weight { get; private set; }

    /// <summary>The .NET pattern and its weight; throws <see cref="UrlPatternException"/> for what it refuses.</summary>
    public static (string Pattern, long Weight) Translate(string source)
    {
        var translator = new JsRegexTranslator(source);
        translator.Disjunction();
        if (translator._position < source.Length)
        {
            throw translator.Error($"unexpected '{source[translator._position]}'");
        }

        return (translator._output.ToString(), translator.Weight);
    }

    private bool More => _position < _source.Length;

    private char Peek(int offset = 0) => _position + offset < _source.Length ? _source[_position + offset] : '\0';

    private UrlPatternException Error(string reason) => new($"invalid regular expression group ({_source}): {reason}");

    private void Disjunction()
    {
        Alternative();
        while (More && Peek() == '|')
        {
            _position++;
            _output.Append('|');
            Alternative();
        }
    }

    private void Alternative()
    {
        while (More && Peek() is not '|' and not ')')
        {
            Term();
        }
    }

    private void Term()
    {
        var c = Peek();
        switch (c)
        {
            case '^':
                _position++;
                _output.Append("^");
                Weight++;
                RefuseQuantifier();
                return;
            case '$':
                _position++;
                _output.Append("\\z");
                Weight++;
                RefuseQuantifier();
                return;
            case '\\' when Peek(1) is 'b' or 'B':
                _output.Append('\\').Append(Peek(1));
                _position += 2;
                Weight++;
                RefuseQuantifier();
                return;
        }

        var start = _output.Length;
        var weightBefore = Weight;
        Atom();
        Quantifier(start, weightBefore);
    }

    private void RefuseQuantifier()
    {
        if (More && Peek() is '*' or '+' or '?' or '{')
        {
            throw Error("nothing to repeat");
        }
    }

    private void Atom()
    {
        var c = Peek();
        switch (c)
        {
            case '.':
                _position++;
                Emit(CodePointSet.Dot);
                return;
            case '(':
                Group();
                return;
            case '[':
                _position++;
                Emit(ClassContents());
                return;
            case '\\':
                _position++;
                Emit(AtomEscape());
                return;
            case '*' or '+' or '?' or '{':
                throw Error("nothing to repeat");
            case ']' or '}':
                throw Error($"a lone '{c}' must be escaped");
        }

        var (codePoint, next) = PatternTokenizer.CodePointAt(_source, _position);
        _position = next;
        Emit(CodePointSet.Of(codePoint, codePoint));
    }

    private void Emit(CodePointSet set)
    {
        _output.Append(set.ToNetPattern());
        Weight += _multiplier;
    }

    private void Group()
    {
        // The tokenizer lets only "(?" groups through; anything but "(?:" is lookaround, a named group or a modifier.
        if (Peek(1) != '?' || Peek(2) != ':')
        {
            var kind = Peek(2) switch
            {
                '=' or '!' => "lookahead is not supported (the hub matches in linear time)",
                '<' when Peek(3) is '=' or '!' => "lookbehind is not supported (the hub matches in linear time)",
                '<' => "named groups are not supported inside a group: name it with :name(…)",
                _ => "only non-capturing groups (?:…) are supported inside a group",
            };
            throw Error(kind);
        }

        _position += 3;
        _output.Append("(?:");
        Disjunction();
        if (Peek() != ')')
        {
            throw Error("unterminated group");
        }

        _position++;
        _output.Append(')');
    }

    private void Quantifier(int atomStart, long weightBefore)
    {
        if (!More)
        {
            return;
        }

        int min, max;
        var c = Peek();
        if (c is '*' or '+' or '?')
        {
            _position++;
            (min, max) = c switch { '*' => (0, -1), '+' => (1, -1), _ => (0, 1) };
        }
        else if (c == '{')
        {
            (min, max) = Braces();
        }
        else
        {
            return;
        }

        var lazy = More && Peek() == '?';
        if (lazy)
        {
            _position++;
        }

        if (min > MaxRepetition || max > MaxRepetition)
        {
            throw Error($"a repetition bound over {MaxRepetition}");
        }

        // Counted repetitions may be unrolled: the atom counts once per possible copy.
        var factor = Math.Max(Math.Max(min, max), 1);
        Weight = weightBefore + ((Weight - weightBefore) * factor);
        var atom = _output.ToString(atomStart, _output.Length - atomStart);
        _output.Length = atomStart;
        _output.Append("(?:").Append(atom).Append(')');
        _output.Append(c switch
        {
            '*' => "*",
            '+' => "+",
            '?' => "?",
            _ => max < 0 ? $"{{{min},}}" : min == max ? $"{{{min}}}" : $"{{{min},{max}}}",
        });
        if (lazy)
        {
            _output.Append('?');
        }

        if (More && Peek() is '*' or '+' or '?' or '{')
        {
            throw Error("nothing to repeat");
        }
    }

    private (int Min, int Max) Braces()
    {
        _position++;
        var min = Number() ?? throw Error("a lone '{' must be escaped");
        var max = min;
        if (Peek() == ',')
        {
            _position++;
            max = Number() ?? -1;
        }

        if (Peek() != '}')
        {
            throw Error("a lone '{' must be escaped");
        }

        _position++;
        if (max >= 0 && max < min)
        {
            throw Error("numbers out of order in a {} quantifier");
        }

        return (min, max);
    }

    private int? Number()
    {
        var start = _position;
        while (More && char.IsAsciiDigit(Peek()))
        {
            _position++;
        }

        if (_position == start)
        {
            return null;
        }

        var digits = _source[start.._position];
        return digits.Length > 4 ? int.MaxValue : int.Parse(digits, CultureInfo.InvariantCulture);
    }

    /// <summary>After a '\' outside a class.</summary>
    private CodePointSet AtomEscape()
    {
        var c = Peek();
        if (c is >= '1' and <= '9' || c == 'k')
        {
            throw Error("backreferences are not supported (the hub matches in linear time)");
        }

        return ClassEscape(inClass: false) ?? Single(CharacterEscape(inClass: false));
    }

    /// <summary>\d \D \w \W \s \S \p{…} \P{…}, or null for another escape.</summary>
    private CodePointSet? ClassEscape(bool inClass)
    {
        var c = Peek();
        CodePointSet? set = c switch
        {
            'd' => CodePointSet.Digits,
            'D' => CodePointSet.Digits.Complement(),
            'w' => CodePointSet.WordChars,
            'W' => CodePointSet.WordChars.Complement(),
            's' => CodePointSet.Spaces,
            'S' => CodePointSet.Spaces.Complement(),
            _ => null,
        };
        if (set is not null)
        {
            _position++;
            return set;
        }

        if (c is 'p' or 'P')
        {
            _position++;
            var property = UnicodeProperties.Parse(this, c == 'P');
            return property;
        }

        return null;
    }

    /// <summary>Reads "{Name}" after \p or \P (used by <see cref="UnicodeProperties"/>).</summary>
    internal string ReadPropertyName()
    {
        if (Peek() != '{')
        {
            throw Error("\\p and \\P need a {property}");
        }

        var end = _source.IndexOf('}', _position);
        if (end < 0)
        {
            throw Error("unterminated \\p{…}");
        }

        var name = _source[(_position + 1)..end];
        _position = end + 1;
        return name;
    }

    internal UrlPatternException PropertyError(string name) => Error($"the Unicode property \\p{{{name}}} is not supported");

    private static CodePointSet Single(int codePoint) => CodePointSet.Of(codePoint, codePoint);

    private int CharacterEscape(bool inClass)
    {
        var c = Peek();
        _position++;
        int value;
        switch (c)
        {
            case 'f': value = '\f'; break;
            case 'n': value = '\n'; break;
            case 'r': value = '\r'; break;
            case 't': value = '\t'; break;
            case 'v': value = '\v'; break;
            case 'b' when inClass: value = '\b'; break;
            case '-' when inClass: value = '-'; break;
            case 'c' when char.IsAsciiLetter(Peek()):
                value = Peek() % 32;
                _position++;
                break;
            case '0' when !char.IsAsciiDigit(Peek()): value = 0; break;
            case 'x':
                value = Hex(2) ?? throw Error("\\x needs two hex digits");
                break;
            case 'u':
                value = UnicodeEscape();
                break;
            case '^' or '$' or '\\' or '.' or '*' or '+' or '?' or '(' or ')' or '[' or ']' or '{' or '}' or '|' or '/':
                value = c;
                break;
            case '&' or '!' or '#' or '%' or ',' or ':' or ';' or '<' or '=' or '>' or '@' or '`' or '~' when inClass:
                value = c;
                break;
            case 'q' when inClass:
                throw Error("class strings \\q{…} are not supported");
            default:
                throw Error($"invalid escape '\\{c}'");
        }

        return value;
    }

    private int UnicodeEscape()
    {
        if (Peek() == '{')
        {
            var end = _source.IndexOf('}', _position);
            var digits = end < 0 ? "" : _source[(_position + 1)..end];
            if (digits.Length is 0 or > 8 || !digits.All(char.IsAsciiHexDigit) || int.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture) > CodePointSet.MaxCodePoint)
            {
                throw Error("invalid \\u{…} escape");
            }

            _position = end + 1;
            return int.Parse(digits, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        var unit = Hex(4) ?? throw Error("\\u needs four hex digits");
        if (unit is >= 0xD800 and <= 0xDBFF && Peek() == '\\' && Peek(1) == 'u')
        {
            var saved = _position;
            _position += 2;
            if (Hex(4) is { } low and >= 0xDC00 and <= 0xDFFF)
            {
                return char.ConvertToUtf32((char)unit, (char)low);
            }

            _position = saved;
        }

        return unit;
    }

    private int? Hex(int count)
    {
        if (_position + count > _source.Length || _source.AsSpan(_position, count).ContainsAnyExcept("0123456789abcdefABCDEF"))
        {
            return null;
        }

        var value = int.Parse(_source.AsSpan(_position, count), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        _position += count;
        return value;
    }
}
