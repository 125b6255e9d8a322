namespace Herald.Protocol.UrlPatterns;

internal enum PartType
{
    FixedText,
    Regexp,
    SegmentWildcard,
    FullWildcard,
}

internal enum PartModifier
{
    None,
    Optional,
    ZeroOrMore,
    OneOrMore,
}

/// <summary>One part of a parsed pattern string: fixed text, or a group with its prefix, suffix and modifier.</summary>
internal sealed record PatternPart(PartType Type, string Value, PartModifier Modifier, string Name = "", string Prefix = "", string Suffix = "");

/// <summary>Delimiter and prefix code points of a component (hostname: '.', pathname: '/' and '/').</summary>
internal sealed record PatternOptions(string Delimiter, string Prefix, bool IgnoreCase)
{
    public static readonly PatternOptions Default = new("", "", false);
    public static readonly PatternOptions Hostname = new(".", "", false);
    public static readonly PatternOptions Pathname = new("/", "/", false);
}

/// <summary>The URL Pattern standard's "parse a pattern string": tokens to a part list, fixed text encoded.</summary>
internal sealed class PatternParser
{
    public const string FullWildcardRegexp = ".*";

    private readonly List<PatternToken> _tokens;
    private readonly PatternOptions _options;
    private readonly Func<string, string> _encode;
    private readonly string _segmentWildcardRegexp;
    private readonly List<PatternPart> _parts = [];
    private string _pendingFixedValue = "";
    private int _index;
    private int _nextNumericName;

    private PatternParser(string input, PatternOptions options, Func<string, string> encode)
    {
        _tokens = PatternTokenizer.Tokenize(input, strict: true);
        _options = options;
        _encode = encode;
        _segmentWildcardRegexp = SegmentWildcardRegexp(options);
    }

    /// <summary>"[^" + the escaped delimiter + "]+?", in the standard's (JavaScript) regular expression syntax.</summary>
    public static string SegmentWildcardRegexp(PatternOptions options) => "[^" + EscapeRegexpString(options.Delimiter) + "]+?";

    public static string EscapeRegexpString(string value)
    {
        var builder = new System.Text.StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c is '.' or '+' or '*' or '?' or '^' or '$' or '{' or '}' or '(' or ')' or '[' or ']' or '|' or '/' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    public static List<PatternPart> Parse(string input, PatternOptions options, Func<string, string> encode)
    {
        var parser = new PatternParser(input, options, encode);
        parser.Run();
        return parser._parts;
    }

    private void Run()
    {
        while (_index < _tokens.Count)
        {
            var charToken = TryConsume(TokenType.Char);
            var nameToken = TryConsume(TokenType.Name);
            var regexpOrWildcard = TryConsumeRegexpOrWildcard(nameToken);
            if (nameToken is not null || regexpOrWildcard is not null)
            {
                var prefix = charToken?.Value ?? "";
                if (prefix.Length > 0 && prefix != _options.Prefix)
                {
                    _pendingFixedValue += prefix;
                    prefix = "";
                }

                MaybeAddPartFromPendingFixedValue();
                var modifier = TryConsumeModifier();
                AddPart(prefix, nameToken, regexpOrWildcard, "", modifier);
                continue;
            }

            var fixedToken = charToken ?? TryConsume(TokenType.EscapedChar);
            if (fixedToken is not null)
            {
                _pendingFixedValue += fixedToken.Value.Value;
                continue;
            }

            if (TryConsume(TokenType.Open) is not null)
            {
                var prefix = ConsumeText();
                nameToken = TryConsume(TokenType.Name);
                regexpOrWildcard = TryConsumeRegexpOrWildcard(nameToken);
                var suffix = ConsumeText();
                ConsumeRequired(TokenType.Close);
                var modifier = TryConsumeModifier();
                AddPart(prefix, nameToken, regexpOrWildcard, suffix, modifier);
                continue;
            }

            MaybeAddPartFromPendingFixedValue();
            ConsumeRequired(TokenType.End);
        }
    }

    private PatternToken? TryConsume(TokenType type)
    {
        if (_index >= _tokens.Count || _tokens[_index].Type != type)
        {
            return null;
        }

        return _tokens[_index++];
    }

    private PatternToken? TryConsumeModifier() => TryConsume(TokenType.OtherModifier) ?? TryConsume(TokenType.Asterisk);

    private PatternToken? TryConsumeRegexpOrWildcard(PatternToken? nameToken)
    {
        var token = TryConsume(TokenType.Regexp);
        return nameToken is null && token is null ? TryConsume(TokenType.Asterisk) : token;
    }

    private void ConsumeRequired(TokenType type)
    {
        if (TryConsume(type) is null)
        {
            var token = _tokens[Math.Min(_index, _tokens.Count - 1)];
            var found = token.Type == TokenType.End ? "the end of the pattern" : $"'{token.Value}'";
            throw new UrlPatternException($"unexpected {found} at index {token.Index}{(type == TokenType.Close ? ": a '{' group is not closed, or nests another" : "")}");
        }
    }

    private string ConsumeText()
    {
        var result = "";
        while ((TryConsume(TokenType.Char) ?? TryConsume(TokenType.EscapedChar)) is { } token)
        {
            result += token.Value;
        }

        return result;
    }

    private void MaybeAddPartFromPendingFixedValue()
    {
        if (_pendingFixedValue.Length == 0)
        {
            return;
        }

        var encoded = _encode(_pendingFixedValue);
        _pendingFixedValue = "";
        _parts.Add(new(PartType.FixedText, encoded, PartModifier.None));
    }

    private void AddPart(string prefix, PatternToken? nameToken, PatternToken? regexpOrWildcard, string suffix, PatternToken? modifierToken)
    {
        var modifier = modifierToken?.Value switch
        {
            "?" => PartModifier.Optional,
            "*" => PartModifier.ZeroOrMore,
            "+" => PartModifier.OneOrMore,
            _ => PartModifier.None,
        };
        if (nameToken is null && regexpOrWildcard is null && modifier == PartModifier.None)
        {
            _pendingFixedValue += prefix;
            return;
        }

        MaybeAddPartFromPendingFixedValue();
        if (nameToken is null && regexpOrWildcard is null)
        {
            if (prefix.Length > 0)
            {
                _parts.Add(new(PartType.FixedText, _encode(prefix), modifier));
            }

            return;
        }

        var regexpValue = regexpOrWildcard is null ? _segmentWildcardRegexp
            : regexpOrWildcard.Value.Type == TokenType.Asterisk ? FullWildcardRegexp
            : regexpOrWildcard.Value.Value;
        var type = PartType.Regexp;
        if (regexpValue == _segmentWildcardRegexp)
        {
            type = PartType.SegmentWildcard;
            regexpValue = "";
        }
        else if (regexpValue == FullWildcardRegexp)
        {
            type = PartType.FullWildcard;
            regexpValue = "";
        }

        var encodedPrefix = _encode(prefix);
        var encodedSuffix = _encode(suffix);
        string name;
        if (nameToken is { } named)
        {
            name = named.Value;
        }
        else
        {
            name = _nextNumericName.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _nextNumericName++;
        }

        if (_parts.Exists(p => p.Name == name && p.Type != PartType.FixedText))
        {
            throw new UrlPatternException($"the group name \"{name}\" is used twice");
        }

        _parts.Add(new(type, regexpValue, modifier, name, encodedPrefix, encodedSuffix));
    }
}
