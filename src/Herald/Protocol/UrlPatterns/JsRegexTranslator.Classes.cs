namespace Herald.Protocol.UrlPatterns;

/// <summary>Character classes in v-mode: unions, ranges, nested classes, <c>--</c> and <c>&amp;&amp;</c>, computed as sets.</summary>
internal sealed partial class JsRegexTranslator
{
    /// <summary>After '[': a v-mode class (union, or a chain of -- or &amp;&amp;), up to and including ']'.</summary>
    private CodePointSet ClassContents()
    {
        var negate = Peek() == '^';
        if (negate)
        {
            _position++;
        }

        var set = CodePointSet.Empty;
        if (Peek() != ']')
        {
            var first = ClassOperand(out var firstIsCharacter, out var firstChar);
            if (Peek() == '&' && Peek(1) == '&')
            {
                set = first;
                while (Peek() == '&' && Peek(1) == '&')
                {
                    _position += 2;
                    set = set.Intersect(ClassOperand(out _, out _));
                }
            }
            else if (Peek() == '-' && Peek(1) == '-')
            {
                set = first;
                while (Peek() == '-' && Peek(1) == '-')
                {
                    _position += 2;
                    set = set.Subtract(ClassOperand(out _, out _));
                }
            }
            else
            {
                set = ClassUnionRest(first, firstIsCharacter, firstChar);
            }
        }

        if (Peek() != ']')
        {
            throw Error(More ? $"unexpected '{Peek()}' in a class (in v-mode, escape ( ) [ ] {{ }} / - | inside classes)" : "unterminated class");
        }

        _position++;
        return negate ? set.Complement() : set;
    }

    private CodePointSet ClassUnionRest(CodePointSet first, bool isCharacter, int firstChar)
    {
        var set = CodePointSet.Empty;
        var (current, currentIsChar, currentChar) = (first, isCharacter, firstChar);
        while (true)
        {
            if (currentIsChar && Peek() == '-' && Peek(1) != '-')
            {
                _position++;
                ClassOperand(out var endIsChar, out var endChar);
                if (!endIsChar || endChar < currentChar)
                {
                    throw Error("invalid range in a class");
                }

                current = CodePointSet.Of(currentChar, endChar);
            }

            set = set.Union(current);
            if (!More || Peek() == ']')
            {
                return set;
            }

            if ((Peek() == '&' && Peek(1) == '&') || (Peek() == '-' && Peek(1) == '-'))
            {
                throw Error("mixing a union with -- or && needs a nested class");
            }

            current = ClassOperand(out currentIsChar, out currentChar);
        }
    }

    private CodePointSet ClassOperand(out bool isCharacter, out int character)
    {
        isCharacter = false;
        character = 0;
        var c = Peek();
        if (c == '[')
        {
            _position++;
            return ClassContents();
        }

        if (c == '\\')
        {
            _position++;
            if (ClassEscape(inClass: true) is { } escaped)
            {
                return escaped;
            }

            character = CharacterEscape(inClass: true);
            isCharacter = true;
            return Single(character);
        }

        if (!More || c is '(' or ')' or ']' or '{' or '}' or '/' or '-' or '|')
        {
            throw Error(More ? $"'{c}' must be escaped inside a class" : "unterminated class");
        }

        if (c == Peek(1) && "&!#$%*+,.:;<=>?@^`~".Contains(c))
        {
            throw Error($"'{c}{c}' is reserved inside a class");
        }

        var (codePoint, next) = PatternTokenizer.CodePointAt(_source, _position);
        _position = next;
        isCharacter = true;
        character = codePoint;
        return CodePointSet.Of(codePoint, codePoint);
    }
}
