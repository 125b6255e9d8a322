using Herald.Storage;

namespace Herald.Tests.Storage;

public class HistoryLimitsTests
{
    public static TheoryData<Update> Updates => new()
    {
        new Update { Id = "a", Topics = ["t"], Data = "" },
        new Update { Id = "ü-1", Topics = ["t"], Data = "café — ☕", Type = "ping", Retry = 1500 },
        new Update { Id = "lines", Topics = ["t", "alt"], Data = "one\r\ntwo\rthree\nfour\n", Private = true },
        new Update { Id = "big", Topics = ["t"], Data = new string('x', 10_000), Retry = long.MinValue },
    };

    [Theory]
    [MemberData(nameof(Updates))]
    public void An_update_counts_the_bytes_of_its_sse_frame(Update update)
    {
        Assert.Equal(new StoredUpdate(1, update, DateTimeOffset.UnixEpoch).Frame.Length, HistoryLimits.SizeOf(update));
    }

    [Fact]
    public void The_size_is_utf8_bytes_of_what_a_replay_sends()
    {
        // "id: é\n" is 7 bytes (é is two), "data: ☕\n" 10 (☕ is three), then the blank line.
        Assert.Equal(18, HistoryLimits.SizeOf(new Update { Id = "é", Topics = ["t"], Data = "☕" }));
    }
}
