// Bundles the CLI and the library entry from tsc's output (dist/) into dist/bundle/.
// package.json decides what is bundled: every runtime `dependency` stays external (the user's npm
// installs it); anything else the code imports is compiled in, so its package is a devDependency
// and a user downloads it once, inside our bundle, not twice.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(pkg.dependencies ?? {});
const outdir = 'dist/bundle';

/**
 * undici's client requires its HTTP/2 half at load, and that requires node:http2 (with tls): ~8 ms
 * of CPU per run on node 20, ~25 ms on node 24 (bench/results/2026-11-30-startup-s8.md), for a
 * protocol our pools never negotiate (allowH2 is off). Required on first use instead.
 */
function lazyH2(file, source) {
  if (!/[\\/]dispatcher[\\/]client\.js$/.test(file)) return source;
  const eager = "const connectH2 = require('./client-h2.js')";
  if (!source.includes(eager)) throw new Error(`${file} no longer has "${eager}": update lazyH2 in scripts/bundle.mjs`);
  return source.replace(eager, "const connectH2 = (...args) => require('./client-h2.js')(...args)");
}

/**
 * undici requires node:assert in ~27 files for `assert(condition)` checks of its own invariants,
 * and node:assert's graph (AssertionError, util/diff, streams to write a diff with) is ~2.5 ms of
 * CPU at every start. Each file gets a stand-in that requires it only when a check fails, to throw
 * node's own AssertionError.
 */
function lazyAssert(file, source) {
  const eager = "const assert = require('node:assert')";
  if (!source.includes(eager)) return source;
  if (/\bassert\b(?!\()/.test(source.replace(eager, ''))) {
    throw new Error(`${file} uses node:assert other than as assert(value[, message]): update lazyAssert in scripts/bundle.mjs`);
  }
  return source.replace(eager, "const assert = (value, message) => { if (!value) require('node:assert')(value, message) }");
}

/** undici's modules, loaded at start-up by every run that makes a request, with what they load made lazy. */
const lazyUndici = {
  name: 'lazy-undici',
  setup(build) {
    build.onLoad({ filter: /[\\/]undici[\\/]lib[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: lazyAssert(args.path, lazyH2(args.path, source)), loader: 'js' };
    });
  },
};

/**
 * commander requires node:child_process at load for the one thing it spawns, a stand-alone
 * executable subcommand (`git-style`), which llm-batch has none of: ~5 ms of CPU for every start,
 * `--version` and `--help` included. Required on first use instead.
 */
const lazyCommanderChildProcess = {
  name: 'lazy-commander-child-process',
  setup(build) {
    build.onLoad({ filter: /commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      const uses = source.match(/childProcess\.\w+/g) ?? [];
      if (!source.includes(eager) || uses.some((use) => use !== 'childProcess.spawn')) {
        throw new Error(`${args.path} no longer has "${eager}" used only as childProcess.spawn: update lazyCommanderChildProcess in scripts/bundle.mjs`);
      }
      return { contents: source.replace(eager, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), loader: 'js' };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  entryNames: '[name]',
  external,
  metafile: true,
  sourcemap: true,
  plugins: [lazyUndici, lazyCommanderChildProcess],
  // Whitespace only: names stay (profiles and stacks read the same), and the install stays under
  // issue 12's 30 MB with undici's parser in the bundle (5.3 -> 4.1 MB of JavaScript).
  minifyWhitespace: true,
  logLevel: 'warning',
  // Bundled CommonJS packages call require(); ESM output has none of its own. Every chunk gets the
  // banner, but only esbuild's runtime chunk calls it (its __require): made on first call, not
  // by each of the chunks a run loads (createRequire computes a module's node_modules paths).
  banner: {
    js: "import { createRequire as __llmBatchCreateRequire } from 'node:module'; let __llmBatchRequire; const require = (id) => (__llmBatchRequire ??= __llmBatchCreateRequire(import.meta.url))(id);",
  },
};
// Two builds: the CLI, from main.js alone (io.js re-exported by it, so bin/ imports one module), and
// start.js (the compile cache, a load failure's line), which bin/ loads first, whole. esbuild puts the code that a given set of entry
// points (dynamic imports included) shares into a chunk of its own: start.js and the
// library's entry in the CLI's build cut a one-prompt run's code into 37 chunks, 17 of them under
// 2 KB (each costs node's loader ~0.5-1 ms). The library's entry is written after: it re-exports
// the API from the CLI's commands chunk, which has it (src/cli/commands.ts), so nothing is shipped twice.
const results = await Promise.all([
  build({ ...common, entryPoints: ['dist/cli/main.js'], splitting: true }),
  build({ ...common, entryPoints: ['dist/cli/start.js'], splitting: false }),
]);
const metafile = { inputs: {}, outputs: {} };
for (const { metafile: m } of results) {
  Object.assign(metafile.inputs, m.inputs);
  Object.assign(metafile.outputs, m.outputs);
}
writeFileSync(`${outdir}/meta.json`, JSON.stringify(metafile));
// The library's names, as tsc's build of src/index.ts exports them (values only: types are in its .d.ts).
const commandsChunk = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === 'dist/cli/commands.js')?.[0];
if (!commandsChunk) throw new Error('no output chunk for dist/cli/commands.js: update the library entry in scripts/bundle.mjs');
const index = await build({ entryPoints: ['dist/index.js'], bundle: false, write: false, metafile: true, format: 'esm', outdir, logLevel: 'warning' });
const names = Object.values(index.metafile.outputs).flatMap((o) => o.exports).sort();
const missing = names.filter((name) => !metafile.outputs[commandsChunk].exports.includes(name));
if (missing.length > 0) throw new Error(`the commands chunk does not export ${missing.join(', ')}: update src/cli/commands.ts`);
writeFileSync(`${outdir}/index.js`, `export { ${names.join(', ')} } from './${commandsChunk.slice(outdir.length + 1)}';\n`);
// Node looks up the package scope of every module it resolves, for its "type", and a miss is not
// remembered: without this file each of the ~280 imports a run resolves among its ~90 chunks
// looked for dist/bundle/package.json and dist/package.json again (824 failed opens, 1,103 opens in
// all against 277 with it), ~10 ms of a one-prompt run's CPU on node 22.
writeFileSync(`${outdir}/package.json`, '{ "type": "module" }\n');

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
