// What a user of the package meets: `npm pack` ships the ESM build, its types, the browser build and the README; a
// consumer project imports it with types; the hub's embedded browser build is this build, not a stale one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/hub.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('npm pack ships the ESM build, the type declarations, the browser build and the README', () => {
  const [pack] = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const files = pack.files.map((f) => f.path);
  for (const file of ['dist/index.js', 'dist/index.d.ts', 'dist/react.js', 'dist/react.d.ts', 'dist/herald-client.js', 'README.md', 'package.json']) {
    assert.ok(files.includes(file), `${file} missing from the package: ${files.join(', ')}`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'sources or tests in the package');
});

test('a consumer project imports the packed package, with its types', (t) => {
  const dir = tempDir(t);
  const tarball = execFileSync(npm, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').at(-1);
  const installed = join(dir, 'node_modules', 'herald-client');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', installed, '--strip-components=1']);
  // Its one dependency, from this checkout (no registry in the test).
  symlinkSync(join(root, 'node_modules', 'eventsource-parser'), join(dir, 'node_modules', 'eventsource-parser'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  writeFileSync(join(dir, 'app.ts'), `import { subscribe, type HeraldUpdate } from 'herald-client';
const onUpdate = (u: HeraldUpdate): string => u.id + u.data;
export const make = () => subscribe('http://127.0.0.1:1/.well-known/mercure', { topics: ['t'], onUpdate });
`);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, lib: ['ES2022', 'DOM'], types: [] }, files: ['app.ts'] }));

  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
  const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', "import('herald-client').then((m) => console.log(typeof m.subscribe))"], { cwd: dir, encoding: 'utf8' });
  assert.equal(loaded.trim(), 'function');
});

test('the browser build the hub embeds is the current one (npm run bundle:hub refreshes it)', () => {
  const built = readFileSync(join(root, 'dist', 'herald-client.js'));
  const embedded = readFileSync(join(root, '..', '..', 'src', 'Herald', 'Http', 'herald-client.js'));
  assert.ok(built.equals(embedded), 'src/Herald/Http/herald-client.js is stale: run `npm run bundle:hub` in clients/js and commit it');
});
