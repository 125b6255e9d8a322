/**
 * The bundles of issue 19 (the same shape as tests/Shared/Bundles.cs): ~1,700 bots of 6 fields (~200 KB), keyed by id
 * or as an array, each version with 1 % of all fields changed from the last. Seeded, so a failure replays.
 */
export function bundles({ keyed, bots = 1700, seed = 1 }) {
  let state = seed;
  const random = (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const statuses = ['up', 'down', 'degraded', 'starting', 'stopping'];
  const changing = ['status', 'cpu', 'memory', 'updated'];
  const all = Array.from({ length: bots }, (_, i) => ({
    id: `bot-${String(i + 1).padStart(4, '0')}`,
    name: `Bot ${i + 1} ✓`,
    status: statuses[(i + 1) % statuses.length],
    cpu: (i + 1) % 100,
    memory: 257 + i,
    updated: '2026-12-01T15:00:00.000Z',
  }));
  let version = 0;
  return () => {
    if (version++ > 0) {
      for (let i = 0; i < Math.floor((all.length * 6) / 100); i++) {
        const bot = all[random(all.length)];
        const field = changing[random(changing.length)];
        bot[field] = field === 'status' ? statuses[random(statuses.length)]
          : field === 'cpu' ? random(100)
          : field === 'memory' ? 256 + random(4096)
          : `2026-12-01T15:${String(version % 60).padStart(2, '0')}:${String(random(60)).padStart(2, '0')}.${random(1000)}Z`;
      }
    }
    return JSON.stringify(keyed ? { bots: Object.fromEntries(all.map((b) => [b.id, b])) } : all);
  };
}
