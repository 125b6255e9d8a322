using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Protocol;

/// <summary>
/// Control and format characters are refused in ids and types (the Mercure 1.0 draft); any other character, in any
/// script, is fine, since ids are IRIs.
/// </summary>
public class FieldCharacterTests
{
    private const string Topic = "https://example.com/books/1";

    public static TheoryData<string, string, string> Forbidden => new()
    {
        { "id", "a\u0001b", "U+0001" },
        { "id", "tab\tid", "U+0009" },
        { "id", "esc\u001B[31m", "U+001B" },
        { "id", "del\u007F", "U+007F" },
        { "id", "c1\u0085", "U+0085" },
        { "id", "c1\u009B", "U+009B" },
        { "id", "zero\u200Bwidth", "U+200B" },
        { "id", "rtl\u200F", "U+200F" },
        { "id", "bidi\u202Eevil", "U+202E" },
        { "id", "isolate\u2066", "U+2066" },
        { "id", "\uFEFFbom", "U+FEFF" },
        { "id", "soft\u00ADhyphen", "U+00AD" },
        { "id", "tag\U000E0041", "U+E0041" },
        { "type", "a\u0001b", "U+0001" },
        { "type", "del\u007F", "U+007F" },
        { "type", "c1\u0090", "U+0090" },
        { "type", "zero\u200Dwidth", "U+200D" },
        { "type", "bidi\u202Dx", "U+202D" },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public async Task A_control_or_format_character_is_refused_with_a_one_line_reason_naming_it(string field, string value, string codePoint)
    {
        await using var hub = await TestHub.StartAsync();

        using var response = await hub.PostAsync([new("topic", Topic), new("data", "refused"), new(field, value)]);

        var reason = await response.AssertRefusedAsync(HttpStatusCode.BadRequest);
        Assert.Contains($"\"{field}\"", reason, StringComparison.Ordinal);
        Assert.Contains(codePoint, reason, StringComparison.Ordinal);
        var (replayed, _) = await hub.ReplayAllAsync([Topic], hub.SubscriberToken("*"), Topic);
        Assert.Empty(replayed);
    }

    [Theory]
    [InlineData("id", 0xD800, "high")]
    [InlineData("id", 0xDC00, "low")]
    [InlineData("id", 0xD83D, "")]
    [InlineData("type", 0xDFFF, "x")]
    public async Task An_unpaired_surrogate_is_refused_in_process(string field, int surrogate, string after)
    {
        // Over HTTP a form decodes a lone surrogate to U+FFFD; only an in-process publish can carry one. (Built here:
        // theory data would not survive serialization with a lone surrogate in it.)
        var value = "lone" + (char)surrogate + after;
        await using var hub = await TestHub.StartAsync();
        var publisher = hub.Services.GetRequiredService<IHeraldPublisher>();
        var update = field == "id"
            ? new Update { Topics = [Topic], Data = "refused", Id = value }
            : new Update { Topics = [Topic], Data = "refused", Type = value };

        var refused = await Assert.ThrowsAsync<HeraldPublishException>(async () => await publisher.PublishAsync(update));

        Assert.Equal(400, refused.StatusCode);
        Assert.Contains("unpaired surrogate", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("é-2")]
    [InlineData("日本語/1")]
    [InlineData("📚-42")]
    [InlineData("urn:uuid:0198c1d2-0000-7000-8000-000000000000")]
    [InlineData("with space")]
    [InlineData("https://example.com/ids/ünïcödé?x=1#no")]
    public async Task Any_other_character_is_accepted_in_an_id_and_delivered_as_is(string id)
    {
        await using var hub = await TestHub.StartAsync();
        await using var stream = await hub.SubscribeAsync([Topic]);

        Assert.Equal(id, await hub.PublishAsync(Topic, "ok", id: id, type: "événement-📚"));

        var item = await stream.NextAsync();
        Assert.Equal(id, item.EventId);
        Assert.Equal("événement-📚", item.EventType);
    }
}
