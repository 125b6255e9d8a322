namespace Herald.Redis;

/// <summary>
/// The Lua scripts: Redis runs each atomically, so the id check, the append, the index entry, retention and the
/// notification happen as one step that no other node can interleave with.
/// KEYS: 1 the stream, 2 the id index (hash id → entry id), 3 the meta hash (<c>last</c> position, <c>bytes</c> retained,
/// <c>generation</c>), 4 the retained index (hash topic → entry id of its latest value), 5 the retained values (hash topic →
/// <c>{"n": entry id, "t": ms, "i": id, "p": content}</c>, see <see cref="RedisEntryCodec.DecodeRetained"/>). Entry fields: see <see cref="RedisEntryCodec"/>.
/// </summary>
internal static class RedisScripts
{
    /// <summary>Most entries one script call removes: bounds how long a call blocks Redis after limits are lowered.</summary>
    public const int TrimBatch = 256;

    private const string Common = """
        local function field(fields, name)
          for i = 1, #fields, 2 do
            if fields[i] == name then return fields[i + 1] end
          end
          return nil
        end

        -- The bytes an entry was counted for when appended: its s field (format 2), else id and content lengths (format 1);
        -- an entry Herald did not write was never counted.
        local function size(fields)
          local s = tonumber(field(fields, 's'))
          if s then return s end
          return #(field(fields, 'i') or '') + #(field(fields, 'p') or '')
        end

        -- Removes entries with their index entries and byte counts, so the index stays in step with the stream.
        local function remove(entries)
          for _, entry in ipairs(entries) do
            redis.call('HDEL', KEYS[2], field(entry[2], 'i') or '')
            redis.call('HINCRBY', KEYS[3], 'bytes', -size(entry[2]))
            if field(entry[2], 'h') == '1' then redis.call('HINCRBY', KEYS[3], 'exempt', -1) end
            redis.call('XDEL', KEYS[1], entry[1])
          end
          return #entries
        end

        -- The content of two entries is the same when their decoded fields are: not the raw JSON, so a key added by a
        -- later format, or another encoding of the same text, never turns a retry into a conflict.
        local function same_content(a, b)
          if a == b then return true end
          local okA, x = pcall(cjson.decode, a)
          local okB, y = pcall(cjson.decode, b)
          if not okA or not okB or type(x) ~= 'table' or type(y) ~= 'table' then return false end
          local function opt(value) if value == cjson.null then return nil end return value end
          if opt(x.d) ~= opt(y.d) or opt(x.y) ~= opt(y.y) or opt(x.r) ~= opt(y.r) or (opt(x.v) == true) ~= (opt(y.v) == true) or (opt(x.k) == true) ~= (opt(y.k) == true) then
            return false
          end
          if type(x.t) ~= 'table' or type(y.t) ~= 'table' or #x.t ~= #y.t then return false end
          for i = 1, #x.t do
            if x.t[i] ~= y.t[i] then return false end
          end
          return true
        end

        local function now_ms()
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end

        -- Oldest first, by count, age and bytes; at most `batch` entries per call (the rest go on the next call).
        local function trim(now, maxCount, maxBytes, maxAgeMs, batch)
          local removed = 0
          local excess = redis.call('XLEN', KEYS[1]) - (tonumber(redis.call('HGET', KEYS[3], 'exempt')) or 0) - maxCount
          if excess > 0 then
            removed = removed + remove(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', math.min(excess, batch)))
          end
          -- The oldest entry alone is read first: on almost every append nothing has expired.
          -- An entry without a readable time (not Herald's) counts as expired: it goes first.
          local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
          if maxAgeMs > 0 and removed < batch and #oldest > 0 and (tonumber(field(oldest[1][2], 't')) or 0) < now - maxAgeMs then
            local expired = {}
            for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', batch - removed)) do
              if (tonumber(field(entry[2], 't')) or 0) >= now - maxAgeMs then break end
              table.insert(expired, entry)
            end
            removed = removed + remove(expired)
          end
          while removed < batch and (tonumber(redis.call('HGET', KEYS[3], 'bytes')) or 0) > maxBytes do
            local n = remove(redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1))
            if n == 0 then break end
            removed = removed + n
          end
          return removed
        end

        """;

    /// <summary>
    /// ARGV: 1 id, 2 content (the entry's p), 3 max count, 4 max bytes, 5 max age ms, 6 notification channel, 7 trim batch,
    /// 8 a new generation name, kept only when the meta hash has none (a new or emptied Redis), 9 the update's size
    /// (<see cref="Herald.Storage.HistoryLimits.SizeOf"/>), 10 the entry format version, 11 the publish span's W3C
    /// traceparent or '' (field <c>c</c>, outside the content a retry is compared by), 12 '1' when the update is retained,
    /// 13 '1' for a hub subscription event (field <c>h</c>: not counted against the max count), then 14… the retained
    /// update's topics, each of which it becomes the latest value of (outside the stream: retention never trims them).
    /// Returns {status, entry id, skipped}: status 0 appended, 1 duplicate (same content), 2 conflict (other content);
    /// skipped is the position the counter had when an entry Herald did not write already sat there or above, else 0.
    /// The entry id is <c>POSITION-0</c> from the <c>last</c> counter, not XADD *: positions stay dense (see
    /// RedisPositions), and a server clock that steps back cannot reorder entries. Only a hand-written entry at or
    /// above the next position breaks the density: the counter then continues after the stream's last id (once),
    /// rather than every later publish failing.
    /// </summary>
    public const string Append = Common + AppendBody;

    /// <summary>
    /// <see cref="Append"/> of a subscription event with its change to the list, as one step. KEYS: 4 the node's
    /// subscriptions hash (subscription id → event data), 5 the set of nodes. ARGV as <see cref="Append"/>, then 'add'
    /// or 'remove' as 13, then 14 the subscription id, 15 its data ('add'), 16 the node id. A 'remove' of a subscription no longer
    /// listed (another node swept it first) appends nothing and returns {3, ''}: each close is announced once.
    /// </summary>
    public const string AppendPresence = Common + """
        if ARGV[14] == 'remove' then
          if redis.call('HDEL', KEYS[6], ARGV[15]) == 0 then return {3, ''} end
          if redis.call('HLEN', KEYS[6]) == 0 then redis.call('SREM', KEYS[7], ARGV[17]) end
        else
          redis.call('HSET', KEYS[6], ARGV[15], ARGV[16])
          redis.call('SADD', KEYS[7], ARGV[17])
        end

        """ + AppendBody;

    /// <summary>
    /// The cluster's open subscriptions at one position. KEYS: 3 the meta hash, 7 the set of nodes; ARGV: 1 the prefix
    /// of node hashes. Returns {last position, {data…}}: one atomic answer, so the list is exactly the changes up to it.
    /// </summary>
    public const string PresenceSnapshot = """
        local out = {}
        for _, node in ipairs(redis.call('SMEMBERS', KEYS[7])) do
          local all = redis.call('HGETALL', ARGV[1] .. node)
          for i = 2, #all, 2 do table.insert(out, all[i]) end
        end
        return {redis.call('HGET', KEYS[3], 'last') or '0', out}
        """;

    private const string AppendBody = """
        local id, payload = ARGV[1], ARGV[2]
        -- A hub subscription event (h): not counted against the max count (the meta hash's exempt field counts them),
        -- so a reconnect storm never evicts the application's updates.
        local exempt = ARGV[13] == '1'
        local existing = redis.call('HGET', KEYS[2], id)
        if existing then
          local found = redis.call('XRANGE', KEYS[1], existing, existing)
          if #found > 0 then
            if same_content(field(found[1][2], 'p') or '', payload) then return {1, existing} end
            return {2, existing}
          end
          redis.call('HDEL', KEYS[2], id)
        end

        local now = now_ms()
        redis.call('HSETNX', KEYS[3], 'generation', ARGV[8])
        local position = redis.call('HINCRBY', KEYS[3], 'last', 1)
        local entry = string.format('%.0f-0', position)
        local skipped = 0
        local stamp, bytes = string.format('%.0f', now), tonumber(ARGV[9])
        local fields = {'v', ARGV[10], 'i', id, 'p', payload, 't', stamp, 's', ARGV[9]}
        if ARGV[11] and ARGV[11] ~= '' then
          table.insert(fields, 'c')
          table.insert(fields, ARGV[11])
        end
        if exempt then
          table.insert(fields, 'h')
          table.insert(fields, '1')
        end
        local added = redis.pcall('XADD', KEYS[1], entry, unpack(fields))
        if type(added) == 'table' and added.err then
          -- Refused: an entry Herald did not write holds this id or a later one. Continue after the stream's last id.
          local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
          local top = type(info) == 'table' and not info.err and field(info, 'last-generated-id') or nil
          local topPosition = tonumber(string.match(top or '', '^(%d+)-'))
          if not topPosition or topPosition < position then
            -- Another fault (the key is not a stream): nothing was stored, so the counter goes back.
            redis.call('HINCRBY', KEYS[3], 'last', -1)
            return redis.error_reply(added.err)
          end
          skipped = position - 1
          position = topPosition + 1
          redis.call('HSET', KEYS[3], 'last', string.format('%.0f', position))
          entry = string.format('%.0f-0', position)
          redis.call('XADD', KEYS[1], entry, unpack(fields))
        end
        redis.call('HSET', KEYS[2], id, entry)
        redis.call('HINCRBY', KEYS[3], 'bytes', bytes)
        if exempt then redis.call('HINCRBY', KEYS[3], 'exempt', 1) end
        if ARGV[12] == '1' then
          local value = cjson.encode({n = entry, t = stamp, i = id, p = payload})
          for i = 14, #ARGV do
            redis.call('HSET', KEYS[4], ARGV[i], entry)
            redis.call('HSET', KEYS[5], ARGV[i], value)
          end
        end
        trim(now, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[7]))
        redis.call('PUBLISH', ARGV[6], entry)
        return {0, entry, skipped}
        """;

    /// <summary>
    /// ARGV: 1 a new generation name. Returns the generation, creating it when the meta hash has none: an emptied Redis
    /// (FLUSHALL, a restart without persistence) lost it with the positions, so its next history is another generation.
    /// </summary>
    public const string Generation = """
        redis.call('HSETNX', KEYS[3], 'generation', ARGV[1])
        return redis.call('HGET', KEYS[3], 'generation')
        """;

    /// <summary>
    /// The live feed's read. ARGV: 1 the entry id to read after ('' for the head: "from now on"), 2 most entries,
    /// 3 a new generation name (kept only when none exists, as in <see cref="Generation"/>).
    /// Returns {generation, head position, the entry id read after, entries, the id field of the entry read after
    /// (false when it is gone)}: one atomic answer, so the entries are known to belong to that generation, and a
    /// reader can tell whether the entry it stands on is still the one it read.
    /// </summary>
    public const string Feed = Common + """
        redis.call('HSETNX', KEYS[3], 'generation', ARGV[3])
        local meta = redis.call('HMGET', KEYS[3], 'generation', 'last')
        local head = meta[2] or '0'
        local after = ARGV[1]
        if after == '' then after = head .. '-0' end
        local at = redis.call('XRANGE', KEYS[1], after, after)
        local atId = false
        if #at > 0 then atId = field(at[1][2], 'i') or '' end
        return {meta[1], head, after, redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', tonumber(ARGV[2])), atId}
        """;

    /// <summary>ARGV: 1 max count, 2 max bytes, 3 max age ms, 4 batch. Returns how many entries it removed.</summary>
    public const string Trim = Common + """
        return trim(now_ms(), tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
        """;

    /// <summary>
    /// A lease (KEYS[1]; ARGV: 1 holder, 2 milliseconds): <c>SET NX PX</c>, or a renewal when the holder already has
    /// it. Returns 1 when the holder has the lease now, 0 when another does.
    /// </summary>
    public const string HoldLease = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    /// <summary>Deletes the lease KEYS[1] when ARGV[1] holds it; returns 1 when it did.</summary>
    public const string ReleaseLease = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;
}
