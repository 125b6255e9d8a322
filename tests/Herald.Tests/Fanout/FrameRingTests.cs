using Herald.Fanout;
using Herald.Protocol;

namespace Herald.Tests.Fanout;

/// <summary>The subscriber's ring on its own: order across wrap-around and growth, and trimming only when empty.</summary>
public class FrameRingTests
{
    [Fact]
    public void Frames_come_out_in_the_order_they_went_in_across_wrap_around_and_growth()
    {
        var ring = new FrameRing();
        var next = 0L;
        var expected = 0L;

        // Interleaved pushes and pops move the head around the array before each growth.
        for (var round = 1; round <= 40; round++)
        {
            for (var i = 0; i < round; i++)
            {
                ring.Push(SubscriberTests.Frame(++next));
            }

            for (var i = 0; i < round / 2; i++)
            {
                Assert.True(ring.TryPop(out var frame));
                Assert.Equal(++expected, frame.Position);
            }
        }

        while (ring.TryPop(out var frame))
        {
            Assert.Equal(++expected, frame.Position);
        }

        Assert.Equal(next, expected);
        Assert.Equal(0, ring.Count);
    }

    [Fact]
    public void Trimming_keeps_queued_frames()
    {
        var ring = new FrameRing();
        for (var i = 1; i <= 100; i++)
        {
            ring.Push(SubscriberTests.Frame(i));
        }

        ring.TrimIfEmpty();
        Assert.Equal(100, ring.Count);
        for (var i = 1; i <= 100; i++)
        {
            Assert.True(ring.TryPop(out var frame));
            Assert.Equal(i, frame.Position);
        }

        ring.TrimIfEmpty();
        ring.Push(SseFrame.Heartbeat);
        Assert.True(ring.TryPop(out var heartbeat));
        Assert.Same(SseFrame.Heartbeat, heartbeat);
    }
}
