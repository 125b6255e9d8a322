using Herald.Protocol;

namespace Herald.Tests.Protocol;

public class UriTemplateMatcherTests
{
    private static bool IsMatch(string template, string topic) => UriTemplateMatcher.TryCompile(template)!.IsMatch(topic);

    // Mercure 0.x topic selector rules around the template matcher: "*" matches all, equality matches,
    // otherwise only a selector containing '{' is tried as a template, and an invalid one matches nothing.
    private static bool SelectorMatches(string selector, string topic)
    {
        if (selector == "*" || selector == topic)
        {
            return true;
        }

        return selector.Contains('{', StringComparison.Ordinal) && UriTemplateMatcher.TryCompile(selector)?.IsMatch(topic) == true;
    }

    // Ported from dunglas/mercure 0.x topicselector_test.go (TestMatch / TestMatchCache) and the
    // URI-template matcher test that kept the same cases (uritemplate_matcher_test.go).
    [Theory]
    [InlineData("https://example.com/{foo}/bar", "https://example.com/foo/bar", true)]
    [InlineData("https://example.com/{foo}/bar", "https://example.com/foo/bar/baz", false)]
    [InlineData("https://example.com/{fistname}/{lastname}", "https://example.com/kevin/dunglas", true)]
    [InlineData("https://example.com/{firstname}/{lastname}", "https://example.com/kevin/dunglas", true)]
    [InlineData("https://example.com/users/foo/{?topic}", "https://example.com/users/foo/?topic=bar", true)]
    [InlineData("https://example.com/{id}", "https://example.com/123", true)]
    [InlineData("https://example.com/{id}", "https://example.com/abc", true)]
    [InlineData("https://example.com/{id}", "https://example.com/123/sub", false)]
    public void MercureTemplateCases(string template, string topic, bool expected) =>
        Assert.Equal(expected, IsMatch(template, topic));

    [Theory]
    [InlineData("*", "https://example.com/foo/bar", true)]
    [InlineData("https://example.com/foo/bar", "https://example.com/foo/bar", true)]
    [InlineData("foo", "foo", true)]
    [InlineData("bar", "foo", false)]
    [InlineData("https://example.com/foo", "https://example.com/baz", false)]
    [InlineData("invalid{", "foo", false)]
    [InlineData("{invalid", "foo", false)]
    public void MercureSelectorCases(string selector, string topic, bool expected) =>
        Assert.Equal(expected, SelectorMatches(selector, topic));

    [Fact]
    public void MercureTooManyVariablesIsRejectedLikeGoRepeatLimit()
    {
        // Mercure's deprecated-matcher test: a template whose regexp exceeds Go's repeat limit never matches.
        var tooMany = "/{" + string.Concat(Enumerable.Repeat("a,", 1100)) + "a}";
        Assert.Null(UriTemplateMatcher.TryCompile(tooMany));
        Assert.True(SelectorMatches(tooMany, tooMany));
        Assert.False(SelectorMatches(tooMany, "/foo"));
    }

    [Fact]
    public void ManyVariablesCompileUpToGoRepeatLimit()
    {
        var template = "{/" + string.Concat(Enumerable.Repeat("a,", 300)) + "a}";
        Assert.True(IsMatch(template, "/x/y/z"));
        Assert.True(IsMatch(template, string.Concat(Enumerable.Repeat("/x", 301))));
        Assert.False(IsMatch(template, string.Concat(Enumerable.Repeat("/x", 302))));

        // 1,001 variables: 1,000 repetitions, exactly Go's limit, which Mercure accepted.
        var atLimit = "{/" + string.Concat(Enumerable.Repeat("a,", 1000)) + "a}";
        Assert.True(IsMatch(atLimit, string.Concat(Enumerable.Repeat("/x", 1001))));
        Assert.False(IsMatch(atLimit, string.Concat(Enumerable.Repeat("/x", 1002))));
    }

    // RFC 6570 section 3.2 expansions: each result must match its template.
    [Theory]
    [InlineData("{var}", "value")]
    [InlineData("{hello}", "Hello%20World%21")]
    [InlineData("{half}", "50%25")]
    [InlineData("O{empty}X", "OX")]
    [InlineData("O{undef}X", "OX")]
    [InlineData("{x,y}", "1024,768")]
    [InlineData("{x,hello,y}", "1024,Hello%20World%21,768")]
    [InlineData("?{x,empty}", "?1024,")]
    [InlineData("{var:3}", "val")]
    [InlineData("{list}", "red,green,blue")]
    [InlineData("{list*}", "red,green,blue")]
    [InlineData("{keys}", "semi,%3B,dot,.,comma,%2C")]
    [InlineData("{keys*}", "semi=%3B,dot=.,comma=%2C")]
    [InlineData("{+var}", "value")]
    [InlineData("{+hello}", "Hello%20World!")]
    [InlineData("{+path}/here", "/foo/bar/here")]
    [InlineData("here?ref={+path}", "here?ref=/foo/bar")]
    [InlineData("{+x,hello,y}", "1024,Hello%20World!,768")]
    [InlineData("{+path:6}/here", "/foo/b/here")]
    [InlineData("{+keys*}", "semi=;,dot=.,comma=,")]
    [InlineData("{#var}", "#value")]
    [InlineData("{#hello}", "#Hello%20World!")]
    [InlineData("{#path,x}/here", "#/foo/bar,1024/here")]
    [InlineData("{#keys*}", "#semi=;,dot=.,comma=,")]
    [InlineData("X{.var}", "X.value")]
    [InlineData("X{.x,y}", "X.1024.768")]
    [InlineData("X{.list*}", "X.red.green.blue")]
    [InlineData("X{.empty_keys*}", "X")]
    [InlineData("{/var}", "/value")]
    [InlineData("{/var,x}/here", "/value/1024/here")]
    [InlineData("{/list*,path:4}", "/red/green/blue/%2Ffoo")]
    [InlineData("{/keys*}", "/semi=%3B/dot=./comma=%2C")]
    [InlineData("{;x,y}", ";x=1024;y=768")]
    [InlineData("{;x,y,empty}", ";x=1024;y=768;empty")]
    [InlineData("{;hello:5}", ";hello=Hello")]
    [InlineData("{;keys*}", ";semi=%3B;dot=.;comma=%2C")]
    [InlineData("{?x,y}", "?x=1024&y=768")]
    [InlineData("{?x,y,empty}", "?x=1024&y=768&empty=")]
    [InlineData("{?list*}", "?list=red&list=green&list=blue")]
    [InlineData("{?keys*}", "?semi=%3B&dot=.&comma=%2C")]
    [InlineData("?fixed=yes{&x}", "?fixed=yes&x=1024")]
    [InlineData("{&x,y,empty}", "&x=1024&y=768&empty=")]
    [InlineData("{&keys*}", "&semi=%3B&dot=.&comma=%2C")]
    public void Rfc6570ExpansionsMatch(string template, string expansion) => Assert.True(IsMatch(template, expansion));

    [Theory]
    [InlineData("{var}", "a/b")] // '/' must be pct-encoded in simple expansion
    [InlineData("{var}", "Hello World")]
    [InlineData("{var}", "Hello!")]
    [InlineData("{var}", "a=b")] // '=' only appears in named or exploded values
    [InlineData("{var}", "100%")] // incomplete triplet
    [InlineData("{var}", "%zz")]
    [InlineData("{var}", "café")]
    [InlineData("{+var}", "a b")]
    [InlineData("{+var}", "a{b")]
    [InlineData("{#var}", "value")] // the '#' prefix is required when the value is present
    [InlineData("X{.var}", "Xvalue")]
    [InlineData("{/var,x}", "/a/b/c")] // at most one value per variable without explode
    [InlineData("{/var}", "/a/b")]
    [InlineData("{;x}", ";x=1;y=2")]
    [InlineData("{?x,y}", "?x=1&y=2&z=3")]
    [InlineData("{?x}", "?x=1&y=2")]
    [InlineData("{?x}", "?x=a/b")]
    [InlineData("{&x}", "?x=1")]
    [InlineData("/{var}", "/a\n")] // anchored at the very end, unlike '$'
    [InlineData("/{var}", "x/a")]
    public void NonExpansionsDoNotMatch(string template, string topic) => Assert.False(IsMatch(template, topic));

    [Theory]
    [InlineData("{/list*}", "/a/b/c/d/e")]
    [InlineData("{;list*}", ";a=1;b=2;c")]
    [InlineData("{?keys*}", "?a=1&b=2&c=3&d=4")]
    [InlineData("{&x,y*}", "&x=1&y=2&z=3")]
    [InlineData("{.var}", ".a.b.c")] // '.' is unreserved, so the dot operator cannot bound values
    [InlineData("{#var}", "")]
    [InlineData("{?x}", "")]
    [InlineData("{?x}", "?")]
    [InlineData("{/a,b,c}", "/x/y/z")]
    [InlineData("{/a,b,c}", "/x")]
    [InlineData("{a}{b}", "xy")]
    [InlineData("{foo.bar}", "v")]
    [InlineData("{%41bc}", "v")]
    [InlineData("{foo:9999}", "v")]
    [InlineData("{var}", "%C3%A9%2f")]
    public void OperatorEdgeCasesMatch(string template, string topic) => Assert.True(IsMatch(template, topic));

    [Theory]
    [InlineData("https://example.com/a.b?c+d(e)[f]$g{var}", "https://example.com/a.b?c+d(e)[f]$gvalue", true)]
    [InlineData("https://example.com/a.b?c+d(e)[f]$g{var}", "https://example.com/aXb?c+d(e)[f]$g", false)]
    [InlineData("https://example.com/a.b?c+d(e)[f]$g{var}", "https://example.com/a.bc+d(e)[f]$g", false)]
    [InlineData("https://example.com/a.b?c+d(e)[f]$g{var}", "https://example.com/a.b?cc+d(e)[f]$g", false)]
    [InlineData("https://example.com/a.b?c+d(e)[f]$g{var}", "https://example.com/a.b?c+d(e)f$g", false)]
    [InlineData("/a*b/{var}", "/a*b/x", true)]
    [InlineData("/a*b/{var}", "/aab/x", false)]
    [InlineData("/#x/{var}", "/#x/y", true)]
    [InlineData("/caf%C3%A9/{var}", "/caf%C3%A9/x", true)]
    [InlineData("/caf%C3%A9/{var}", "/café/x", false)]
    [InlineData("/café/{var}", "/café/x", true)]
    [InlineData("/\U0001F600/{var}", "/\U0001F600/x", true)]
    public void LiteralsAreMatchedLiterally(string template, string topic, bool expected) =>
        Assert.Equal(expected, IsMatch(template, topic));

    [Theory]
    [InlineData("{")]
    [InlineData("invalid{")]
    [InlineData("{invalid")]
    [InlineData("{foo")]
    [InlineData("{foo,")]
    [InlineData("{foo:")]
    [InlineData("{foo:3")]
    [InlineData("{foo*")]
    [InlineData("{+")]
    [InlineData("{}")]
    [InlineData("{+}")]
    [InlineData("{=foo}")]
    [InlineData("{,foo}")]
    [InlineData("{!foo}")]
    [InlineData("{@foo}")]
    [InlineData("{|foo}")]
    [InlineData("{$foo}")]
    [InlineData("{foo bar}")]
    [InlineData("{foo-bar}")]
    [InlineData("{.foo.}")]
    [InlineData("{..foo}")]
    [InlineData("{foo..bar}")]
    [InlineData("{fo%zz}")]
    [InlineData("{foo:0}")]
    [InlineData("{foo:01}")]
    [InlineData("{foo:10000}")]
    [InlineData("{foo:}")]
    [InlineData("{foo:a}")]
    [InlineData("{foo*:3}")]
    [InlineData("{foo:3*}")]
    [InlineData("{foo,}")]
    [InlineData("{foo}}")]
    [InlineData("{{foo}}")]
    [InlineData("a b{c}")]
    [InlineData("a<b{c}")]
    [InlineData("a'b{c}")]
    [InlineData("a\\b{c}")]
    [InlineData("100%{x}")]
    [InlineData("%zz{x}")]
    [InlineData("\uD800{x}")]
    [InlineData("\uFFFE{x}")]
    public void InvalidTemplatesReturnNull(string template) => Assert.Null(UriTemplateMatcher.TryCompile(template));

    [Fact]
    public void LeadingDotIsTheDotOperator()
    {
        // "{.foo}" is the dot operator applied to "foo" (whereas "{..foo}" has a name with a leading dot).
        Assert.NotNull(UriTemplateMatcher.TryCompile("{.foo}"));
        Assert.True(IsMatch("X{.foo}", "X.v"));
    }

    [Fact]
    public void CompilingIsCheap()
    {
        // A subscriber may send 1,000 selectors: compiling must not cost the milliseconds and megabytes a Regex did.
        UriTemplateMatcher.TryCompile("https://example.com/{id}");
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Assert.NotNull(UriTemplateMatcher.TryCompile("https://example.com/books/{id}/{?page,sort}"));
        }

        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4_000_000);
    }

    [Theory]
    [InlineData("https://example.com/{foo}/bar")]
    [InlineData("{+a}{+b}{+c}{+d}x")]
    [InlineData("{a}{b}{c}{d}{e}{f}/")]
    [InlineData("{/a*}{/b*}{/c*}!")]
    [InlineData("{?a,b,c,d,e,f,g,h}#")]
    public void AdversarialLongTopicsCompleteInLinearTime(string template)
    {
        var matcher = UriTemplateMatcher.TryCompile(template)!;
        var filler = new string('a', 100_000);
        Assert.False(matcher.IsMatch("https://example.com/" + filler + "/baz"));
        Assert.False(matcher.IsMatch(filler + "%"));
        Assert.False(matcher.IsMatch(string.Concat(Enumerable.Repeat("/a", 50_000)) + "?"));
        Assert.False(matcher.IsMatch(string.Concat(Enumerable.Repeat("%4", 50_000))));
    }
}
