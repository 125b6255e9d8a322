using StackExchange.Redis;

namespace Herald.Redis.Tests;

public sealed class RedisStoreUrlTests
{
    [Fact]
    public void A_full_url_maps_every_part_explicitly()
    {
        var url = RedisStoreUrl.Parse("redis://user:p%40ss@cache.internal:6380/3?prefix=app1:");
        var configuration = url.ToConfiguration(new RedisStoreOptions { CommandTimeout = TimeSpan.FromSeconds(2) });

        Assert.Equal(("cache.internal", 6380, "user", "p@ss", 3, false, "app1:"), (url.Host, url.Port, url.User, url.Password, url.Database, url.Tls, url.Prefix));
        Assert.Equal("redis://cache.internal:6380/3", url.Display);
        Assert.False(configuration.AbortOnConnectFail);
        Assert.Same(BacklogPolicy.FailFast, configuration.BacklogPolicy);
        Assert.Equal(2000, configuration.AsyncTimeout);
        Assert.Equal(3, configuration.DefaultDatabase);
        Assert.Equal("p@ss", configuration.Password);
    }

    [Fact]
    public void Defaults_and_tls()
    {
        var url = RedisStoreUrl.Parse("rediss://:secret@localhost");

        Assert.Equal(("localhost", 6379, null, "secret", 0, true, "herald:"), (url.Host, url.Port, url.User, url.Password, url.Database, url.Tls, url.Prefix));
        Assert.True(url.ToConfiguration(new RedisStoreOptions()).Ssl);
        Assert.DoesNotContain("secret", url.Display);
    }

    [Theory]
    [InlineData("redis://")]
    [InlineData("redis://host/db")]
    [InlineData("redis://host?timeout=5")]
    [InlineData("http://host")]
    public void Malformed_urls_are_refused(string store) =>
        Assert.Throws<FormatException>(() => RedisStoreUrl.Parse(store));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(long.MaxValue)]
    public void Positions_and_entry_ids_map_both_ways(long position) =>
        Assert.Equal(position, RedisPositions.FromEntryId(RedisPositions.ToEntryId(position)));

    [Fact]
    public void Positions_preserve_entry_order() =>
        Assert.True(RedisPositions.FromEntryId("999-0") < RedisPositions.FromEntryId("1000-0"));
}
