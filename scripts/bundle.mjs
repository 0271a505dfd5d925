// Bundles the CLI and the library entry from tsc's output (dist/) into dist/bundle/.
// package.json decides what is bundled: every runtime `dependency` stays external (the user's npm
// installs it); anything else the code imports is compiled in, so its package is a devDependency
// and a user downloads it once, inside our bundle, not twice.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {});
const outdir = 'dist/bundle';

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: ['dist/cli/main.js', 'dist/cli/io.js', 'dist/index.js'],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  entryNames: '[name]',
  external,
  metafile: true,
  sourcemap: true,
  // Whitespace only: names stay (profiles and stacks read the same), and the install stays under
  // issue 12's 30 MB with undici's parser in the bundle (5.3 -> 4.1 MB of JavaScript).
  minifyWhitespace: true,
  logLevel: 'warning',
  // Bundled CommonJS packages call require(); ESM output has none of its own.
  banner: { js: "import { createRequire as __llmBatchRequire } from 'node:module'; const require = __llmBatchRequire(import.meta.url);" },
});
writeFileSync(`${outdir}/meta.json`, JSON.stringify(result.metafile));

// The HTML report's page: its script (with uPlot) and styles, which every report inlines. Built for
// browsers, not node; read at run time from dist/report-page/ (src/report/page-assets.ts).
rmSync('dist/report-page', { recursive: true, force: true });
await build({
  entryPoints: ['src/report-page/main.ts'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: 'dist/report-page',
  entryNames: 'app',
  legalComments: 'eof',
  logLevel: 'warning',
});
