// Reads one JSON case per line on stdin: {"pattern": string, "base": string|null, "url": string}
// and writes one JSON line per case: {"error": message} when the constructor throws, else {"match": bool}.
import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import { createInterface } from 'node:readline';

const lines = createInterface({ input: process.stdin });
const compiled = new Map();
for await (const line of lines) {
  if (!line) continue;
  const { pattern, base, url } = JSON.parse(line);
  const key = JSON.stringify([pattern, base]);
  let entry = compiled.get(key);
  if (!entry) {
    try {
      entry = { pattern: base === null ? new URLPattern(pattern) : new URLPattern(pattern, base) };
    } catch (e) {
      entry = { error: String(e.message).split('\n')[0] };
    }
    compiled.set(key, entry);
  }
  if (entry.error) {
    process.stdout.write(JSON.stringify({ error: entry.error }) + '\n');
    continue;
  }
  let match;
  try {
    match = base === null ? entry.pattern.test(url) : entry.pattern.test(url, base);
  } catch (e) {
    match = false;
  }
  process.stdout.write(JSON.stringify({ match }) + '\n');
}
