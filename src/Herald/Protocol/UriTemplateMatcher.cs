using System.Buffers;

namespace Herald.Protocol;

/// <summary>Matches topics against the possible expansions of an RFC 6570 URI template, in time linear in the topic.</summary>
/// <remarks>
/// Accepts exactly what the regexp that Mercure 0.x obtained from github.com/yosida95/uritemplate/v3
/// <c>Template.Regexp()</c> accepted: every expression is optional, a variable value is any run of its operator's
/// allowed characters or pct-encoded triplets, and variable names, prefix lengths and value lengths are not checked
/// against the topic.
/// <para>
/// Rather than a <see cref="System.Text.RegularExpressions.Regex"/> (milliseconds and megabytes to build), the
/// template becomes a small NFA of a few states per expression and one per interior literal character, simulated
/// over a state set. A state inside a counted repetition carries the number of separators consumed, and only the
/// smallest one is kept: a thread with fewer separators can do everything one with more can, so the set stays bounded.
/// </para>
/// </remarks>
internal sealed class UriTemplateMatcher
{
    /// <summary>Programs up to this many states simulate on the stack (2 × 128 ints = 1 KB); larger ones rent.</summary>
    private const int MaxStackStates = 128;

    private enum Kind : byte
    {
        /// <summary>Consumes <see cref="State.Char"/> (a literal or an operator's first character).</summary>
        Char,

        /// <summary>Zero-width start of an optional expression: goes to the next state or skips to the exit.</summary>
        Entry,

        /// <summary>Between tokens of the first value; consumes a value character, '%', or the first separator.</summary>
        FirstValue,

        /// <summary>Between tokens of a further value; consumes a value character, '%', or one more separator.</summary>
        FurtherValue,

        /// <summary>After '%': consumes the first hex digit.</summary>
        Hex1,

        /// <summary>After '%' and one hex digit: consumes the second and returns to the value state two back.</summary>
        Hex2,

        /// <summary>The whole template matched.</summary>
        Accept,
    }

    /// <summary>One NFA state. <see cref="Exit"/>: for entry and value states, the state after the expression;
    /// <see cref="Expression"/>: for value states, the index of their expression.</summary>
    private readonly record struct State(Kind Kind, char Char = '\0', int Exit = 0, int Expression = 0);

    // The literals before the first and after the last expression are compared directly; only the middle runs the NFA.
    private readonly string _prefix;
    private readonly string _suffix;
    private readonly State[] _states;
    private readonly TemplateExpression[] _expressions;

    private UriTemplateMatcher(string prefix, string suffix, State[] states, TemplateExpression[] expressions)
    {
        _prefix = prefix;
        _suffix = suffix;
        _states = states;
        _expressions = expressions;
    }

    /// <summary>Returns a matcher of every string that could be an expansion of <paramref name="template"/>,
    /// or null when the template is not valid RFC 6570 (Level 4) syntax.</summary>
    public static UriTemplateMatcher? TryCompile(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (UriTemplateParser.TryParse(template) is not { } parsed)
        {
            return null;
        }

        var (literals, expressions) = (parsed.Literals, parsed.Expressions);
        if (expressions.Length == 0)
        {
            return new(literals[0], "", [new State(Kind.Accept)], expressions);
        }

        var count = 1; // Accept
        for (var e = 0; e < expressions.Length; e++)
        {
            count += (e > 0 ? literals[e].Length : 0) + StateCount(expressions[e]);
        }

        var states = new State[count];
        var s = 0;
        for (var e = 0; e < expressions.Length; e++)
        {
            if (e > 0)
            {
                foreach (var c in literals[e])
                {
                    states[s++] = new(Kind.Char, c);
                }
            }

            var expression = expressions[e];
            var exit = s + StateCount(expression);
            states[s++] = new(Kind.Entry, Exit: exit);
            if (expression.First != '\0')
            {
                states[s++] = new(Kind.Char, expression.First);
            }

            states[s++] = new(Kind.FirstValue, Exit: exit, Expression: e);
            states[s++] = new(Kind.Hex1);
            states[s++] = new(Kind.Hex2);
            if (expression.MaxSeparators > 0)
            {
                states[s++] = new(Kind.FurtherValue, Exit: exit, Expression: e);
                states[s++] = new(Kind.Hex1);
                states[s++] = new(Kind.Hex2);
            }
        }

        states[s] = new(Kind.Accept);
        return new(literals[0], literals[^1], states, expressions);
    }

    private static int StateCount(TemplateExpression e) =>
        1 + (e.First != '\0' ? 1 : 0) + 3 + (e.MaxSeparators > 0 ? 3 : 0);

    public bool IsMatch(ReadOnlySpan<char> topic)
    {
        if (topic.Length < _prefix.Length + _suffix.Length
            || !topic.StartsWith(_prefix.AsSpan())
            || !topic.EndsWith(_suffix.AsSpan()))
        {
            return false;
        }

        var middle = topic[_prefix.Length..^_suffix.Length];
        if (_expressions.Length == 1)
        {
            return MatchesExpression(_expressions[0], middle);
        }

        var n = _states.Length;
        if (n <= MaxStackStates)
        {
            Span<int> sets = stackalloc int[2 * n]; // zeroed
            return Run(middle, sets[..n], sets[n..]);
        }

        var rented = ArrayPool<int>.Shared.Rent(2 * n);
        try
        {
            var sets = rented.AsSpan(0, 2 * n);
            sets.Clear();
            return Run(middle, sets[..n], sets[n..]);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The common one-expression template, without the NFA: a single left-to-right pass. Its only choice, at the first
    /// separator, is always to start a further value: that value's set includes the first's, and a further value
    /// whose set includes the separator absorbs any later one without counting it.
    /// </summary>
    private static bool MatchesExpression(in TemplateExpression expression, ReadOnlySpan<char> input)
    {
        if (input.IsEmpty)
        {
            return true; // an undefined variable expands to nothing at all
        }

        var i = 0;
        if (expression.First != '\0')
        {
            if (input[0] != expression.First)
            {
                return false;
            }

            i = 1;
        }

        var allowed = expression.FirstValue;
        var separators = 0;
        while (i < input.Length)
        {
            var c = input[i];
            if (c == '%')
            {
                if (i + 2 >= input.Length || !char.IsAsciiHexDigit(input[i + 1]) || !char.IsAsciiHexDigit(input[i + 2]))
                {
                    return false;
                }

                i += 3;
                continue;
            }

            if (c == expression.Separator && expression.MaxSeparators > 0
                && (separators == 0 || !expression.FurtherValues.Contains(c)))
            {
                if (separators == expression.MaxSeparators)
                {
                    return false;
                }

                separators++;
                allowed = expression.FurtherValues;
            }
            else if (!allowed.Contains(c))
            {
                return false;
            }

            i++;
        }

        return true;
    }

    /// <summary>
    /// Simulates the NFA. <c>set[s]</c> is 0 when state s is inactive, else 1 + the fewest separators consumed by a
    /// thread in it (meaningful in further-value states only); both spans start zeroed.
    /// </summary>
    private bool Run(ReadOnlySpan<char> input, Span<int> current, Span<int> next)
    {
        current[0] = 1;
        int low = 0, high = 0;
        Close(current, low, ref high);
        foreach (var c in input)
        {
            int nextLow = int.MaxValue, nextHigh = -1;
            for (var s = low; s <= high; s++)
            {
                var value = current[s];
                if (value != 0)
                {
                    current[s] = 0; // leaves the span zeroed for its turn as 'next'
                    Step(s, value, c, next, ref nextLow, ref nextHigh);
                }
            }

            if (nextHigh < 0)
            {
                return false;
            }

            Close(next, nextLow, ref nextHigh);
            var swap = current;
            current = next;
            next = swap;
            (low, high) = (nextLow, nextHigh);
        }

        return current[^1] != 0;
    }

    /// <summary>Follows zero-width transitions; they all go forward, so one ascending pass reaches the closure.</summary>
    private void Close(Span<int> set, int low, ref int high)
    {
        for (var s = low; s <= high; s++)
        {
            if (set[s] == 0)
            {
                continue;
            }

            ref readonly var state = ref _states[s];
            switch (state.Kind)
            {
                case Kind.Entry:
                    Add(set, s + 1, 1, ref low, ref high);
                    Add(set, state.Exit, 1, ref low, ref high); // undefined variables expand to nothing at all
                    break;
                case Kind.FirstValue or Kind.FurtherValue:
                    Add(set, state.Exit, 1, ref low, ref high);
                    break;
            }
        }
    }

    /// <summary>Consumes <paramref name="c"/> from state <paramref name="s"/> into <paramref name="next"/>.</summary>
    private void Step(int s, int value, char c, Span<int> next, ref int low, ref int high)
    {
        ref readonly var state = ref _states[s];
        switch (state.Kind)
        {
            case Kind.Char when c == state.Char:
                Add(next, s + 1, 1, ref low, ref high);
                break;
            case Kind.FirstValue:
            {
                ref readonly var expression = ref _expressions[state.Expression];
                StepValue(s, value, c, expression.FirstValue, next, ref low, ref high);
                if (c == expression.Separator && expression.MaxSeparators > 0)
                {
                    Add(next, s + 3, 2, ref low, ref high); // the further-value state, one separator consumed
                }

                break;
            }

            case Kind.FurtherValue:
            {
                ref readonly var expression = ref _expressions[state.Expression];
                StepValue(s, value, c, expression.FurtherValues, next, ref low, ref high);
                if (c == expression.Separator && value - 1 < expression.MaxSeparators)
                {
                    Add(next, s, value + 1, ref low, ref high);
                }

                break;
            }

            case Kind.Hex1 when char.IsAsciiHexDigit(c):
                Add(next, s + 1, value, ref low, ref high);
                break;
            case Kind.Hex2 when char.IsAsciiHexDigit(c):
                Add(next, s - 2, value, ref low, ref high);
                break;
        }
    }

    private static void StepValue(int s, int value, char c, AsciiSet allowed, Span<int> next, ref int low, ref int high)
    {
        if (allowed.Contains(c))
        {
            Add(next, s, value, ref low, ref high);
        }
        else if (c == '%')
        {
            Add(next, s + 1, value, ref low, ref high);
        }
    }

    private static void Add(Span<int> set, int s, int value, ref int low, ref int high)
    {
        var existing = set[s];
        if (existing == 0 || value < existing)
        {
            set[s] = value;
            low = Math.Min(low, s);
            high = Math.Max(high, s);
        }
    }
}
