// Bundles the CLI and the library entry from tsc's output (dist/) into dist/bundle/.
// package.json decides what is bundled: every runtime `dependency` stays external (the user's npm
// installs it); anything else the code imports is compiled in, so its package is a devDependency
// and a user downloads it once, inside our bundle, not twice.
import { createHash } from 'node:crypto';
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

/**
 * undici requires node:http for two things: the default of a client's `maxHeaderSize` (our pool
 * passes its own: src/util/node-http.ts) and a check that a stream it destroys is node's
 * IncomingMessage. A run sets V8 flags before its first request, after which node compiles its
 * built-ins from source: node:http's ten modules were ~11 ms of every run's CPU. Required on use.
 */
function lazyHttp(file, source) {
  if (/[\\/]dispatcher[\\/]client\.js$/.test(file)) {
    const eager = "const http = require('node:http')";
    if (!source.includes(eager) || (source.match(/\bhttp\.\w+/g) ?? []).some((use) => use !== 'http.maxHeaderSize')) {
      throw new Error(`${file} no longer has "${eager}" used only for http.maxHeaderSize: update lazyHttp in scripts/bundle.mjs`);
    }
    return source.replace(eager, "const http = { get maxHeaderSize () { return require('node:http').maxHeaderSize } }");
  }
  if (/[\\/]core[\\/]util\.js$/.test(file)) {
    const eager = "const { IncomingMessage } = require('node:http')";
    const use = 'Object.getPrototypeOf(stream).constructor === IncomingMessage';
    if (!source.includes(eager) || source.split('IncomingMessage').length !== 3 || !source.includes(use)) {
      throw new Error(`${file} no longer has "${eager}" used only as "${use}": update lazyHttp in scripts/bundle.mjs`);
    }
    return source
      .replace(eager, "const isIncomingMessage = (c) => c?.name === 'IncomingMessage' && c === require('node:http').IncomingMessage")
      .replace(use, 'isIncomingMessage(Object.getPrototypeOf(stream).constructor)');
  }
  return source;
}

/** undici's modules, loaded at start-up by every run that makes a request, with what they load made lazy. */
const lazyUndici = {
  name: 'lazy-undici',
  setup(build) {
    build.onLoad({ filter: /[\\/]undici[\\/]lib[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: lazyAssert(args.path, lazyHttp(args.path, lazyH2(args.path, source))), loader: 'js' };
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

/**
 * The tokenizer (gpt-tokenizer's o200k table, 2.8 MB of the 4.5) is a script of its own, required
 * only by the runs that count tokens: in the CLI's script it would be source that every run reads.
 */
const TOKENIZER = 'gpt-tokenizer/encoding/o200k_base';
const tokenizerApart = {
  name: 'tokenizer-apart',
  setup(build) {
    build.onResolve({ filter: /^gpt-tokenizer(\/|$)/ }, (args) => {
      if (args.path !== TOKENIZER) throw new Error(`${args.importer} imports ${args.path}: only ${TOKENIZER} is built apart (scripts/bundle.mjs)`);
      return { path: './tokenizer.cjs', external: true };
    });
  },
};

/**
 * A built-in module as an ES namespace, made once per module: `Object.create(mod)` reads each export
 * from the module itself. esbuild's `__toESM` copies every property of it into a getter, at each of
 * the ~100 imports of a built-in (66 of node:fs): ~10 ms of a one-prompt run's CPU. Same length as
 * `__toESM`, so that the source map's columns hold.
 */
const NODE_NAMESPACE =
  'const __nodNSs=new Map();function __nodNS(mod){let ns=__nodNSs.get(mod);if(ns===undefined){ns=Object.create(mod,{default:{value:mod,enumerable:true}});__nodNSs.set(mod,ns)}return ns}';
/** `__toESM(require("node:fs"),1)`: esbuild's import of a built-in, in the CommonJS script. */
const NODE_IMPORT = /__toESM\((require\("node:[\w/]+"\))(,1)?\)/g;

/** A placeholder the build's hash replaces, as long as the hash: the source map's columns hold. */
const BUILD_PLACEHOLDER = '0'.repeat(16);

/**
 * The CLI's script is one function expression, CommonJS's wrapper (as node's own loader puts it around
 * a module) with this module's import() (src/util/import-module.ts), which src/cli/load-cli.ts compiles
 * as read. Wrapped here rather than there: a wrapper added at run time made V8 copy the 1.8 MB script
 * into one string at every start (~8 ms of a one-prompt run's ~190 ms of CPU on this machine). Its head
 * goes on the banner's line, which holds no mapped code, so the source map's lines and columns hold.
 */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __llmBatchImport) {';
const WRAPPER_TAIL = '\n})\n';

rmSync(outdir, { recursive: true, force: true });
const common = {
  bundle: true,
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
};
// The CLI: one CommonJS script, which bin/ compiles with a V8 code cache made at the end of a run
// (src/cli/load-cli.ts), so that the next run compiles none of the functions that one ran; node's
// compile cache, made when an ES module is compiled, kept only their top levels. Modules a run may
// not need stay lazy: esbuild starts a module reached by import() on its first import(). Its first
// line names the build, which names the cache. start.js (the compile cache, the loader, a load
// failure's line) is bin/'s ES module, loaded first, whole.
const cjs = {
  ...common,
  format: 'cjs',
  // import() of a package (csv-parse) as require(): a script compiled by node:vm has no import() of
  // its own; an ES-only package goes through the loader's (src/util/import-module.ts).
  supported: { 'dynamic-import': false },
};
const [cliBuild, startBuild, tokenizerBuild] = await Promise.all([
  build({
    ...cjs,
    entryPoints: { cli: 'dist/cli/cli-bundle.js' },
    outExtension: { '.js': '.cjs' },
    plugins: [...cjs.plugins, tokenizerApart],
    define: { 'import.meta.url': '__llmBatchImportMetaUrl' },
    // The bundled packages' license comments in a file beside it (shipped), where their authors'
    // names may keep their accents.
    legalComments: 'external',
    // Strict from its first statement, as the ES modules it is built from were.
    banner: {
      js: `//llm-batch-build:${BUILD_PLACEHOLDER}\n${WRAPPER_HEAD}"use strict";const __llmBatchImportMetaUrl = require('node:url').pathToFileURL(__filename).href;${NODE_NAMESPACE}`,
    },
    write: false,
  }),
  build({ ...common, format: 'esm', entryPoints: ['dist/cli/start.js'] }),
  build({
    ...cjs,
    stdin: { contents: `module.exports = require('${TOKENIZER}');`, resolveDir: '.', sourcefile: 'tokenizer.cjs' },
    outfile: `${outdir}/tokenizer.cjs`,
    outdir: undefined,
    sourcemap: false,
  }),
]);
for (const out of cliBuild.outputFiles) {
  let text = out.text;
  if (out.path.endsWith('.cjs')) {
    if (!text.startsWith(`//llm-batch-build:${BUILD_PLACEHOLDER}\n`)) throw new Error('cli.cjs does not start with its build line');
    // Read as Latin-1 by src/cli/load-cli.ts: any other character would come out as two.
    const foreign = text.search(/[^\x00-\x7f]/);
    if (foreign >= 0) throw new Error(`cli.cjs has a non-ASCII character at ${foreign}: …${text.slice(foreign - 60, foreign + 20)}… (write it as an escape)`);
    // But in the openai SDK's message that names `import('node:buffer').File`.
    if (/\bimport\((?!'node:buffer'\))/.test(text)) throw new Error('cli.cjs calls import(), which a script compiled by node:vm cannot: use src/util/import-module.ts');
    text = text.replace(NODE_IMPORT, (_, call, mode) => `__nodNS(${call}${mode ? '  ' : ''})`);
    if (/__toESM\(require\("node:/.test(text)) throw new Error('cli.cjs imports a built-in through __toESM in a form NODE_IMPORT does not match (scripts/bundle.mjs)');
    // Closed before the source map's comment, which stays the script's last line.
    const mapComment = text.lastIndexOf('\n//# sourceMappingURL=');
    if (mapComment < 0) throw new Error('cli.cjs has no sourceMappingURL comment to close its wrapper before');
    text = text.slice(0, mapComment) + WRAPPER_TAIL + text.slice(mapComment + 1);
    const hash = createHash('sha256').update(text).digest('hex').slice(0, BUILD_PLACEHOLDER.length);
    text = text.replace(BUILD_PLACEHOLDER, hash);
  }
  writeFileSync(out.path, text);
}
const metafile = { inputs: {}, outputs: {} };
for (const { metafile: m } of [cliBuild, startBuild, tokenizerBuild]) {
  Object.assign(metafile.inputs, m.inputs);
  Object.assign(metafile.outputs, m.outputs);
}
writeFileSync(`${outdir}/meta.json`, JSON.stringify(metafile));
// The library's entry: the API from the CLI's script (src/cli/cli-bundle.ts), loaded as bin/ loads it
// (with the import() it hands in, and the code cache a run made), so nothing is shipped twice. Its
// names, as tsc's build of src/index.ts exports them (values only: types are in its .d.ts), checked
// against what the script hands out.
const index = await build({ entryPoints: ['dist/index.js'], bundle: false, write: false, metafile: true, format: 'esm', outdir, logLevel: 'warning' });
const names = Object.values(index.metafile.outputs).flatMap((o) => o.exports).sort();
const { loadCli } = await import(`../${outdir}/start.js`);
const library = loadCli({ NODE_DISABLE_COMPILE_CACHE: '1' }).cli.library();
const missing = names.filter((name) => !(name in library));
if (missing.length > 0) throw new Error(`the CLI's library() does not export ${missing.join(', ')}: update src/cli/commands.ts`);
writeFileSync(
  `${outdir}/index.js`,
  `import { loadCli } from './start.js';\nconst library = loadCli(process.env, { packages: false }).cli.library();\nexport const { ${names.join(', ')} } = library;\n`,
);
// Node looks up the package scope of every module it resolves, for its "type", and a miss is not
// remembered: without this file each import bin/'s start.js resolves looked for
// dist/bundle/package.json and dist/package.json again.
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
