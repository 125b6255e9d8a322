// The single-file browser build: dist/index.js with eventsource-parser bundled in, as one ES module that a page can
// import by URL with no bundler. `--hub` also copies it where the hub embeds it (served at
// /.well-known/mercure/client.js); a test fails when that copy is stale.
import { build } from 'esbuild';
import { copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
export const browserBundle = join(root, 'dist', 'herald-client.js');
export const hubCopy = join(root, '..', '..', 'src', 'Herald', 'Http', 'herald-client.js');

await build({
  entryPoints: [join(root, 'dist', 'index.js')],
  outfile: browserBundle,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  // The first line names the version: the hub serves it again under /client-<version>.js, cacheable for good.
  banner: { js: `/*! herald-client ${version} */` },
  logLevel: 'warning',
});

if (process.argv.includes('--hub')) {
  copyFileSync(browserBundle, hubCopy);
}
