using Herald.Storage;
using StackExchange.Redis;

namespace Herald.Redis;

/// <summary>
/// The cluster's subscriptions, beside the history: one hash per node (subscription id → its event data), the set of
/// nodes, and a lease key per node. Each change is made by the same script that appends its event.
/// </summary>
public sealed partial class RedisHistoryStore
{
    private RedisKey PresenceNodes => _url.Prefix + "presence:nodes";

    private string PresenceHashPrefix => _url.Prefix + "presence:node:";

    private RedisKey PresenceHash(string node) => PresenceHashPrefix + node;

    private RedisKey PresenceLease(string node) => _url.Prefix + "presence:lease:" + node;

    /// <summary>
    /// Appends a subscription event and lists (<paramref name="data"/> set) or unlists (null) its subscription.
    /// Returns false when an unlisting found nothing to remove (already swept): no event was appended.
    /// </summary>
    internal async Task<bool> AppendPresenceAsync(Update update, string node, string subscriptionId, string? data)
    {
        RedisKey[] keys = [.. _keys, PresenceHash(node), PresenceNodes];
        RedisValue[] args = [.. AppendArguments(update, update.Id!), data is null ? "remove" : "add", subscriptionId, data ?? "", node];
        var result = (RedisResult[])(await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.AppendPresence, keys, args), "record a subscription").ConfigureAwait(false))!;
        return (int)result[0] != 3;
    }

    /// <summary>Every node's listed subscriptions (their event data) and the position they are complete up to.</summary>
    internal async Task<(long Position, IReadOnlyList<string> Subscriptions)> ReadPresenceAsync()
    {
        RedisKey[] keys = [.. _keys, PresenceNodes, PresenceNodes];
        var result = (RedisResult[])(await RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.PresenceSnapshot, keys, [PresenceHashPrefix]), "list subscriptions").ConfigureAwait(false))!;
        var data = ((RedisResult[])result[1]!).Select(r => (string)r!).ToList();
        return ((long)result[0], data);
    }

    /// <summary>Keeps this node's subscriptions listed for another <paramref name="lease"/>.</summary>
    internal Task RenewPresenceLeaseAsync(string node, TimeSpan lease) =>
        RunAsync(async db =>
        {
            await db.StringSetAsync(PresenceLease(node), "1", lease).ConfigureAwait(false);
            return true;
        }, "renew the subscriptions lease");

    /// <summary>The listed subscriptions (id, data) of every node other than <paramref name="self"/> whose lease lapsed.</summary>
    internal Task<List<(string Node, string Id, string Data)>> LapsedPresenceAsync(string self) =>
        RunAsync(async db =>
        {
            var lapsed = new List<(string, string, string)>();
            foreach (var member in await db.SetMembersAsync(PresenceNodes).ConfigureAwait(false))
            {
                var node = (string)member!;
                if (node == self || await db.KeyExistsAsync(PresenceLease(node)).ConfigureAwait(false))
                {
                    continue;
                }

                var entries = await db.HashGetAllAsync(PresenceHash(node)).ConfigureAwait(false);
                if (entries.Length == 0)
                {
                    await db.SetRemoveAsync(PresenceNodes, member).ConfigureAwait(false);
                }

                lapsed.AddRange(entries.Select(e => (node, (string)e.Name!, (string)e.Value!)));
            }

            return lapsed;
        }, "find lapsed nodes");
}
