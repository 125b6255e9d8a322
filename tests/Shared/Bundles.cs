using System.Text.Json.Nodes;

namespace Herald.Tests.Shared;

/// <summary>
/// The bundles of issue 19: ~1,700 bots of 6 fields (~200 KB), keyed by id (<c>{"bots":{"bot-0001":{…}}}</c>) or as an
/// array (<c>[{"id":"bot-0001",…}]</c>), and versions of it where 1 % of the fields changed from the last.
/// </summary>
internal sealed class Bundles(bool keyed, int seed = 1, int bots = 1700, double changing = 0.01)
{
    private static readonly string[] Statuses = ["up", "down", "degraded", "starting", "stopping"];
    private static readonly string[] Changing = ["status", "cpu", "memory", "updated"];

    private readonly Random _random = new(seed);
    private readonly JsonObject[] _bots = [.. Enumerable.Range(1, bots).Select(i => new JsonObject
    {
        ["id"] = $"bot-{i:D4}",
        ["name"] = $"Bot {i} ✓",
        ["status"] = Statuses[i % Statuses.Length],
        ["cpu"] = i % 100,
        ["memory"] = 256 + i,
        ["updated"] = "2026-12-01T15:00:00.000Z",
    })];

    private int _version;

    /// <summary>The next version: 1 % (<c>changing</c>) of all fields changed (the first call returns the starting bundle).</summary>
    public string Next()
    {
        if (_version++ > 0)
        {
            var changes = (int)(_bots.Length * 6 * changing);
            for (var i = 0; i < changes; i++)
            {
                var bot = _bots[_random.Next(_bots.Length)];
                var field = Changing[_random.Next(Changing.Length)];
                bot[field] = field switch
                {
                    "status" => Statuses[_random.Next(Statuses.Length)],
                    "cpu" => _random.Next(100),
                    "memory" => 256 + _random.Next(4096),
                    _ => $"2026-12-01T15:{_version % 60:D2}:{_random.Next(60):D2}.{_random.Next(1000):D3}Z",
                };
            }
        }

        JsonNode root = keyed
            ? new JsonObject { ["bots"] = new JsonObject(_bots.Select(b => KeyValuePair.Create(b["id"]!.GetValue<string>(), (JsonNode?)b.DeepClone()))) }
            : new JsonArray([.. _bots.Select(b => (JsonNode?)b.DeepClone())]);
        return root.ToJsonString();
    }
}
