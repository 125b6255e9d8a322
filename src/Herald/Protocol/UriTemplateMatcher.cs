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
    /// <summary>Programs up to this many states simulate on the stack (4 × 128 ints = 2 KB); larger ones rent.</summary>
    public const int MaxStackStates = 128;

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

    /// <summary>The literal text every match starts with: what the subscriber index files the template under.</summary>
    public string Prefix => _prefix;

    /// <summary>How many expressions the template has; matching work grows with it.</summary>
    public int ExpressionCount => _expressions.Length;

    /// <summary>NFA states: a match visits at most this many per topic character.</summary>
    public int StateCountTotal => _states.Length;

    public bool IsMatch(ReadOnlySpan<char> topic)
    {
        long work = 0;
        return IsMatch(topic, ref work);
    }

    /// <summary>
    /// Matches and adds the work done to <paramref name="work"/>: characters compared plus NFA states visited, never
    /// more than <c>topic.Length × (StateCountTotal + 1)</c>.
    /// </summary>
    public bool IsMatch(ReadOnlySpan<char> topic, ref long work)
    {
        work += _prefix.Length + _suffix.Length;
        if (topic.Length < _prefix.Length + _suffix.Length
            || !topic.StartsWith(_prefix.AsSpan())
            || !topic.EndsWith(_suffix.AsSpan()))
        {
            return false;
        }

        var middle = topic[_prefix.Length..^_suffix.Length];
        work += middle.Length;
        if (_expressions.Length == 1)
        {
            return MatchesExpression(_expressions[0], middle);
        }

        // Per state set (current, next): a value per state and the list of active states.
        var n = _states.Length;
        if (n <= MaxStackStates)
        {
            Span<int> buffers = stackalloc int[4 * n]; // zeroed
            return Run(middle, buffers, ref work);
        }

        var rented = ArrayPool<int>.Shared.Rent(4 * n);
        try
        {
            var buffers = rented.AsSpan(0, 4 * n);
            buffers.Clear();
            return Run(middle, buffers, ref work);
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
    /// Simulates the NFA. A value of 0 means the state is inactive, else 1 + the fewest separators consumed by a thread
    /// in it (meaningful in further-value states only). Only active states are visited, through their list.
    /// </summary>
    private bool Run(ReadOnlySpan<char> input, Span<int> buffers, ref long work)
    {
        var n = _states.Length;
        var current = new StateSet(buffers[..n], buffers[n..(2 * n)]);
        var next = new StateSet(buffers[(2 * n)..(3 * n)], buffers[(3 * n)..]);
        Activate(ref current, 0, 1);
        foreach (var c in input)
        {
            work += current.Count;
            for (var k = 0; k < current.Count; k++)
            {
                var s = current.Active[k];
                var value = current.Values[s];
                current.Values[s] = 0; // leaves the values zeroed for their turn as 'next'
                Step(s, value, c, ref next);
            }

            if (next.Count == 0)
            {
                return false;
            }

            current.Count = 0;
            var swap = current;
            current = next;
            next = swap;
        }

        return current.Values[^1] != 0;
    }

    private ref struct StateSet(Span<int> values, Span<int> active)
    {
        public readonly Span<int> Values = values;
        public readonly Span<int> Active = active;
        public int Count;
    }

    /// <summary>Consumes <paramref name="c"/> from state <paramref name="s"/> into <paramref name="next"/>.</summary>
    private void Step(int s, int value, char c, ref StateSet next)
    {
        ref readonly var state = ref _states[s];
        switch (state.Kind)
        {
            case Kind.Char when c == state.Char:
                Activate(ref next, s + 1, 1);
                break;
            case Kind.FirstValue:
            {
                ref readonly var expression = ref _expressions[state.Expression];
                StepValue(s, value, c, expression.FirstValue, ref next);
                if (c == expression.Separator && expression.MaxSeparators > 0)
                {
                    Activate(ref next, s + 3, 2); // the further-value state, one separator consumed
                }

                break;
            }

            case Kind.FurtherValue:
            {
                ref readonly var expression = ref _expressions[state.Expression];
                StepValue(s, value, c, expression.FurtherValues, ref next);
                if (c == expression.Separator && value - 1 < expression.MaxSeparators)
                {
                    Activate(ref next, s, value + 1);
                }

                break;
            }

            case Kind.Hex1 when char.IsAsciiHexDigit(c):
                Activate(ref next, s + 1, value);
                break;
            case Kind.Hex2 when char.IsAsciiHexDigit(c):
                Activate(ref next, s - 2, value);
                break;
        }
    }

    private void StepValue(int s, int value, char c, AsciiSet allowed, ref StateSet next)
    {
        if (allowed.Contains(c))
        {
            Activate(ref next, s, value);
        }
        else if (c == '%')
        {
            Activate(ref next, s + 1, value);
        }
    }

    /// <summary>
    /// Adds state <paramref name="s"/> and follows its zero-width transitions at once. A state already active keeps
    /// its closure from then, since zero-width transitions always restart counting at 1.
    /// </summary>
    private void Activate(ref StateSet set, int s, int value)
    {
        while (true)
        {
            var existing = set.Values[s];
            if (existing != 0)
            {
                if (value < existing)
                {
                    set.Values[s] = value;
                }

                return;
            }

            set.Values[s] = value;
            set.Active[set.Count++] = s;
            ref readonly var state = ref _states[s];
            switch (state.Kind)
            {
                case Kind.Entry:
                    // Into the expression (its first state has no zero-width transition but the same exit), or skip it:
                    // an undefined variable expands to nothing at all.
                    if (set.Values[s + 1] == 0)
                    {
                        set.Values[s + 1] = 1;
                        set.Active[set.Count++] = s + 1;
                    }

                    break;
                case Kind.FirstValue or Kind.FurtherValue:
                    break;
                default:
                    return;
            }

            (s, value) = (state.Exit, 1);
        }
    }
}
