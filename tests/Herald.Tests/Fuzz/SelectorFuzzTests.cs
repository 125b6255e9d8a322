using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Herald.Protocol;

namespace Herald.Tests.Fuzz;

/// <summary>
/// Random and broken URI templates and topics: parsing and matching never throw, the work a match does stays within
/// its documented bound (so it cannot hang), and for ASCII templates both agree with an oracle written independently
/// from RFC 6570's grammar and the regular expression Mercure 0.x built (yosida95/uritemplate's <c>Template.Regexp()</c>),
/// run by .NET's non-backtracking regex engine.
/// </summary>
[Trait("Category", Fuzzing.Category)]
public sealed class SelectorFuzzTests
{
    private static readonly Gen<string> LiteralPiece = Gen.Frequency(
        (10, Gen.String[Gen.Char["abcxyz019-._~:/?#[]@!$&'()*+,;=%"], 1, 6].Select(s => s.Replace("%", "%2F", StringComparison.Ordinal))),
        (3, Gen.OneOf(Gen.Const("https://example.com/"), Gen.Const("/books/"), Gen.Const("urn:x:"), Gen.Const("?a=1&b=2"))),
        (1, Gen.OneOf(Gen.Const("%4"), Gen.Const("%G1"), Gen.Const("%"), Gen.Const("%e2%82%ac"))),
        (1, Gen.String[Gen.Char[" \"<>\\^`|}\u0000\u001f\u007f"], 1, 2]),
        (1, Gen.OneOf(Gen.Const("é"), Gen.Const("😀"), Gen.Const("\ud800"), Gen.Const("\ufffe"), Gen.Const("\U000E0001"))));

    private static readonly Gen<string> VarName = Gen.Frequency(
        (8, Gen.String[Gen.Char["abcxyz019_"], 1, 4]),
        (2, Gen.OneOf(Gen.Const("a.b"), Gen.Const("%41b"), Gen.Const("x.y.z"))),
        (1, Gen.OneOf(Gen.Const(""), Gen.Const(".a"), Gen.Const("a."), Gen.Const("a..b"), Gen.Const("%4"), Gen.Const("a-b"), Gen.Const("a b"), Gen.Const("é"))));

    private static readonly Gen<string> Modifier = Gen.Frequency(
        (6, Gen.Const("")),
        (3, Gen.Const("*")),
        (2, Gen.Int[1, 9999].Select(n => ":" + n)),
        (1, Gen.OneOf(Gen.Const(":0"), Gen.Const(":10000"), Gen.Const(":"), Gen.Const(":01"), Gen.Const(":3*"), Gen.Const("**"))));

    private static readonly Gen<string> Expression =
        from op in Gen.Frequency((4, Gen.Const("")), (8, Gen.OneOf(Gen.Const("+"), Gen.Const("#"), Gen.Const("."), Gen.Const("/"), Gen.Const(";"), Gen.Const("?"), Gen.Const("&"))), (1, Gen.OneOf(Gen.Const("="), Gen.Const(","), Gen.Const("!"), Gen.Const("@"), Gen.Const("|"))))
        from specs in Gen.Select(VarName, Modifier, (n, m) => n + m).Array[1, 4]
        from separator in Gen.Frequency((12, Gen.Const(",")), (1, Gen.Const(",,")), (1, Gen.Const(" ,")))
        from close in Gen.Frequency((15, Gen.Const("}")), (1, Gen.Const("")), (1, Gen.Const("}}")))
        select "{" + op + string.Join(separator, specs) + close;

    private static readonly Gen<string> Templates = Gen.Frequency(
            (10, Gen.Frequency((3, LiteralPiece), (2, Expression)).Array[1, 8].Select(parts => string.Concat(parts))),
            (1, Fuzzing.HostileString),
            (1, Gen.Const("*")));

    /// <summary>A template with topics to try: expansions of it (from the oracle's reading), mutated ones, random ones.</summary>
    private static readonly Gen<(string Template, string[] Topics)> Cases =
        from template in Templates
        from seed in Gen.Int
        from random in Fuzzing.HostileString.Array[0, 3]
        select (template, TopicsFor(template, seed).Concat(random).ToArray());

    [Fact]
    public void Templates_and_topics_never_throw_stay_within_the_work_bound_and_agree_with_the_oracle() =>
        Cases.Sample(c =>
        {
            foreach (var topic in c.Topics)
            {
                AssertAgrees(c.Template, topic);
            }
        }, iter: Fuzzing.Iterations(4_000), print: c => $"template {Fuzzing.Show(c.Template)}, topics [{string.Join(", ", c.Topics.Select(Fuzzing.Show))}]");

    [Fact]
    public void Long_adversarial_topics_stay_within_the_work_bound() =>
        Gen.Select(Templates, Gen.String[Gen.Char["a/,.%;=?&#1"], 500, 3000]).Sample((template, topic) => AssertAgrees(template, topic), iter: Fuzzing.Iterations(300));

    private static void AssertAgrees(string template, string topic)
    {
        var matcher = UriTemplateMatcher.TryCompile(template);
        var selector = new TopicSelector(template);
        var oracle = Oracle.TryBuild(template);
        if (Oracle.IsAscii(template) && template != "*")
        {
            Assert.True((oracle is null) == (matcher is null), oracle is null ? "Herald compiled a template RFC 6570 rejects" : "Herald rejected a valid RFC 6570 template");
        }

        var matched = selector.Matches(topic);
        if (matcher is not null)
        {
            long work = 0;
            var isMatch = matcher.IsMatch(topic, ref work);
            Assert.True(work <= template.Length + ((long)topic.Length * (matcher.StateCountTotal + 1)), $"work {work} over the bound");
            if (oracle is not null)
            {
                Assert.True(oracle.IsMatch(topic) == isMatch, $"Herald says {isMatch}, the oracle {oracle.IsMatch(topic)}");
            }

            Assert.Equal(template == "*" || template == topic || isMatch, matched);
        }
        else
        {
            Assert.Equal(template == "*" || template == topic, matched);
        }

        // The subscriber index files a template under its literal prefix: every topic it matches starts with it.
        if (matched && !selector.IsWildcard)
        {
            Assert.StartsWith(selector.LiteralPrefix, topic, StringComparison.Ordinal);
        }
    }

    /// <summary>Expansions of the template as the oracle reads it, some mutated; random text when it is not a template.</summary>
    private static IEnumerable<string> TopicsFor(string template, int seed)
    {
        var random = new Random(seed);
        for (var n = 0; n < 4; n++)
        {
            var topic = new StringBuilder();
            foreach (var (literal, expression) in Oracle.Tokens(template))
            {
                if (literal is not null)
                {
                    topic.Append(literal);
                }
                else if (expression is { } e && random.Next(4) != 0)
                {
                    topic.Append(e.First);
                    var values = random.Next(4);
                    for (var v = 0; v <= values; v++)
                    {
                        if (v > 0)
                        {
                            topic.Append(e.Separator);
                        }

                        for (var k = random.Next(4); k > 0; k--)
                        {
                            topic.Append(random.Next(8) switch
                            {
                                0 => "%2f",
                                1 => "=",
                                2 => ",",
                                3 => "%",
                                _ => "aZ9-._~:/?#[]@!$&'()*+,;="[random.Next(25)].ToString(),
                            });
                        }
                    }
                }
            }

            if (random.Next(3) == 0 && topic.Length > 0)
            {
                var at = random.Next(topic.Length);
                switch (random.Next(3))
                {
                    case 0: topic.Remove(at, 1); break;
                    case 1: topic.Insert(at, "/,%;.é"[random.Next(6)]); break;
                    default: topic[at] = '}'; break;
                }
            }

            yield return topic.ToString();
        }
    }

    /// <summary>
    /// RFC 6570 (Level 4) syntax for ASCII templates, and the regular expression Mercure 0.x matched with: every
    /// expression optional; a value any run of its operator's characters or pct-encoded triplets; values after the
    /// first each after the separator, at most one per further variable unless one explodes.
    /// </summary>
    private static class Oracle
    {
        private const string Unreserved = @"\x2d\x2e\x30-\x39\x41-\x5a\x5f\x61-\x7a\x7e";
        private const string Reserved = @"\x21\x23\x24\x26-\x2c\x2f\x3a\x3b\x3d\x3f\x40\x5b\x5d";

        // RFC 6570 §2.1 literals (ASCII part) and §2.2-2.4 expressions, written out from the grammar.
        private const string Pct = "%[0-9A-Fa-f]{2}";
        private const string Literal = @"(?:[\x21\x23\x24\x26\x28-\x3b\x3d\x3f-\x5b\x5d\x5f\x61-\x7a\x7e]|" + Pct + ")";
        private const string VarChar = "(?:[A-Za-z0-9_]|" + Pct + ")";
        private const string VarSpec = VarChar + @"+(?:\." + VarChar + @"+)*(?::[1-9][0-9]{0,3}|\*)?";
        private const string ExpressionSyntax = @"\{[+#./;?&]?" + VarSpec + "(?:," + VarSpec + @")*\}";

        private static readonly Regex Syntax = new("^(?:" + Literal + "|" + ExpressionSyntax + @")*\z", RegexOptions.CultureInvariant);

        public readonly record struct Expression(string First, string Separator, bool AllowReserved, bool Named, bool[] Explodes);

        public static bool IsAscii(string s) => s.All(char.IsAscii);

        public static Regex? TryBuild(string template)
        {
            if (!IsAscii(template) || !Syntax.IsMatch(template))
            {
                return null;
            }

            var pattern = new StringBuilder("^");
            foreach (var (literal, expression) in Tokens(template))
            {
                if (literal is not null)
                {
                    pattern.Append(Regex.Escape(literal));
                    continue;
                }

                var e = expression!.Value;
                var anyExplodes = e.Explodes.Any(x => x);
                pattern.Append("(?:").Append(Regex.Escape(e.First)).Append(Value(e.AllowReserved, e.Named || e.Explodes[0]));
                if (e.Explodes.Length > 1 || anyExplodes)
                {
                    pattern.Append("(?:").Append(Regex.Escape(e.Separator)).Append(Value(e.AllowReserved, e.Named || anyExplodes)).Append(')');
                    pattern.Append(anyExplodes ? "*" : "{0," + (e.Explodes.Length - 1) + "}");
                }

                pattern.Append(")?");
            }

            return new Regex(pattern.Append(@"\z").ToString(), RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }

        /// <summary>Literal runs and expressions, in order; anything unparsable ends the list (it is not a template then).</summary>
        public static IEnumerable<(string? Literal, Expression? Expression)> Tokens(string template)
        {
            var i = 0;
            while (i < template.Length)
            {
                var open = template.IndexOf('{', i);
                if (open != i)
                {
                    var end = open < 0 ? template.Length : open;
                    yield return (template[i..end], null);
                    i = end;
                    continue;
                }

                var close = template.IndexOf('}', open);
                if (close < 0 || close == open + 1)
                {
                    yield break;
                }

                var body = template[(open + 1)..close];
                var op = "+#./;?&".Contains(body[0], StringComparison.Ordinal) ? body[0] : '\0';
                var specs = (op == '\0' ? body : body[1..]).Split(',');
                var (first, separator, named) = op switch
                {
                    '+' => ("", ",", false),
                    '#' => ("#", ",", false),
                    '.' => (".", ".", false),
                    '/' => ("/", "/", false),
                    ';' => (";", ";", true),
                    '?' => ("?", "&", true),
                    '&' => ("&", "&", true),
                    _ => ("", ",", false),
                };
                yield return (null, new Expression(first, separator, op is '+' or '#', named, specs.Select(s => s.EndsWith('*')).ToArray()));
                i = close + 1;
            }
        }

        private static string Value(bool allowReserved, bool named) =>
            "(?:[" + (allowReserved ? Unreserved + Reserved : @"\x2c" + (named ? @"\x3d" : "") + Unreserved) + "]|" + Pct + ")*";
    }
}
