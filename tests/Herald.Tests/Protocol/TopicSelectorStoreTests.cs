using Herald.Protocol;

namespace Herald.Tests.Protocol;

public class TopicSelectorStoreTests
{
    [Fact]
    public void SharesCompiledSelectors()
    {
        var store = new TopicSelectorStore();
        Assert.Same(store.Get("https://example.com/{id}"), store.Get("https://example.com/{id}"));
    }

    [Fact]
    public void FullCacheEvictsAPortionAndKeepsHotEntries()
    {
        var store = new TopicSelectorStore(selectorCacheSize: 100);
        var hot = store.Get("https://example.com/hot/{id}");
        for (var i = 0; i < 1000; i++)
        {
            store.Get($"https://example.com/cold/{i}/{{id}}");
            Assert.Same(hot, store.Get("https://example.com/hot/{id}")); // used between sweeps: never evicted
        }

        // Eviction removed only a portion: the latest selector is still shared.
        var recent = store.Get("https://example.com/cold/999/{id}");
        Assert.Same(recent, store.Get("https://example.com/cold/999/{id}"));
        Assert.True(store.Matches(hot, "https://example.com/hot/7"));
        Assert.False(store.Matches(hot, "https://example.com/hot/7/8"));
    }
}
