using System.Text;
using BenchmarkDotNet.Attributes;
using Herald.Protocol;

namespace Herald.Benchmarks;

/// <summary>Serializing one update to SSE bytes: done once per publish, whatever the subscriber count.</summary>
[ShortRunJob]
[MemoryDiagnoser]
public class FrameSerializationBenchmarks
{
    private Update _update = null!;

    [Params("100B", "1KiB-16lines", "64KiB")]
    public string Payload { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var data = Payload switch
        {
            "100B" => new string('x', 100),
            "1KiB-16lines" => string.Join('\n', Enumerable.Repeat(new string('y', 63), 16)),
            "64KiB" => Json(64 * 1024),
            _ => throw new ArgumentException(Payload),
        };
        _update = new Update
        {
            Topics = ["https://example.com/books/1"],
            Id = "urn:uuid:01980000-0000-7000-8000-000000000001",
            Type = "book-updated",
            Data = data,
        };
    }

    [Benchmark]
    public int ForUpdate() => SseFrame.ForUpdate(42, _update).Length;

    /// <summary>A single-line JSON-ish payload of about <paramref name="size"/> chars, the common large-update shape.</summary>
    private static string Json(int size)
    {
        var builder = new StringBuilder(size + 32).Append("{\"items\":[");
        for (var i = 0; builder.Length < size - 2; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append("{\"id\":").Append(i).Append(",\"n\":\"abc\"}");
        }

        return builder.Append("]}").ToString();
    }
}
