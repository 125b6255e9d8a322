using CsCheck;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Fuzz;

/// <summary>
/// Random updates through <see cref="IHeraldPublisher"/>, the in-process door that skips HTTP and so can hand the hub
/// anything a .NET string holds (lone surrogates, controls, negative retries): each is refused with a
/// <see cref="HeraldPublishException"/> of a 4xx status and a printable one-line reason, or stored and delivered to a
/// subscriber exactly as published.
/// </summary>
[Trait("Category", Fuzzing.Category)]
public sealed class InProcessPublishFuzzTests
{
    private static readonly Gen<Update> Updates =
        from topics in Gen.Frequency((6, Gen.Int[0, 9].Select(n => "https://example.com/books/" + n)), (1, Fuzzing.HostileString)).Array[0, 3]
        from data in Fuzzing.HostileString
        from id in Gen.Frequency((2, Gen.Const(default(string))), (1, Fuzzing.HostileString.Select(i => (string?)i)))
        from type in Gen.Frequency((2, Gen.Const(default(string))), (1, Fuzzing.HostileString.Select(t => (string?)t)))
        from retry in Gen.Frequency((3, Gen.Const(default(long?))), (1, Gen.Long.Select(r => (long?)r)), (1, Gen.Long[0, int.MaxValue].Select(r => (long?)r)))
        from isPrivate in Gen.Bool
        select new Update { Topics = topics, Data = data, Id = id, Type = type, Retry = retry, Private = isPrivate };

    [Fact]
    public async Task Random_updates_are_refused_with_a_reason_or_delivered_exactly()
    {
        var errors = new ErrorLog();
        await using var hub = await TestHub.StartAsync(services: errors.AddTo);
        await using var watcher = await hub.SubscribeAsync(["*"], hub.SubscriberToken("*"));
        var publisher = hub.Services.GetRequiredService<IHeraldPublisher>();
        var n = 0;

        // One at a time, so an accepted update is the next event on the stream.
        await Updates.SampleAsync(
            async update =>
            {
                // A fresh id per try: the same id with other content is a conflict, tested elsewhere.
                var sent = update.Id is null ? update : update.WithId(update.Id + "#" + Interlocked.Increment(ref n));
                string id;
                try
                {
                    id = await publisher.PublishAsync(sent);
                }
                catch (HeraldPublishException e)
                {
                    Assert.True(e.StatusCode is 400 or 403, $"{e.StatusCode}: {e.Message}");
                    Fuzzing.AssertPrintableLine(e.Message);
                    return;
                }

                var item = await watcher.NextAsync();
                Assert.Equal(id, item.EventId);
                Assert.Equal(sent.Data.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n'), item.Data);
                Assert.Equal(string.IsNullOrEmpty(sent.Type) ? "message" : sent.Type, item.EventType);
                Assert.Equal(sent.Retry is { } r ? TimeSpan.FromMilliseconds(r) : null, item.ReconnectionInterval);
            },
            iter: Fuzzing.Iterations(1_000),
            threads: 1,
            print: u => $"topics [{string.Join(", ", u.Topics.Select(Fuzzing.Show))}], id {Fuzzing.Show(u.Id)}, type {Fuzzing.Show(u.Type)}, retry {u.Retry}, data {Fuzzing.Show(u.Data)}");

        errors.AssertEmpty();
    }
}
