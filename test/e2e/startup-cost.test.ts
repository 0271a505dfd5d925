/**
 * What a run loads and keeps before its first request and after its last row: the fixed CPU cost of
 * every run (issue 16; bench/results/2026-11-30-startup-s8.md). Spawns the BUILT CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadedPackages, moduleTraceEnv } from '../helpers/loaded-packages.js';
import { rowsOf, useServer } from '../helpers/mock-server-hooks.js';
import { ROOT, runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServer('llm-batch-startup-');

/**
 * NODE_OPTIONS that make the CLI write, at exit, the node built-ins it loaded to `file` and the
 * locale-aware calls it made (each loads ICU's data on first use, ~20 ms of CPU) to `file`.icu; and
 * what it ran to the directory `file`.modules (see moduleTraceEnv).
 */
function traceBuiltins(file: string): Record<string, string> {
  const preload = path.join(ctx.dir, 'builtins.cjs');
  fs.writeFileSync(
    preload,
    [
      'const icu = new Set();',
      'const spy = (o, name, label) => { const f = o[name]; o[name] = function (...a) { icu.add(label); return f.apply(this, a); }; };',
      "spy(Number.prototype, 'toLocaleString', 'Number#toLocaleString');",
      "spy(String.prototype, 'localeCompare', 'String#localeCompare');",
      "spy(Date.prototype, 'toLocaleString', 'Date#toLocaleString');",
      "for (const k of ['Segmenter', 'NumberFormat', 'Collator', 'DateTimeFormat', 'PluralRules']) Intl[k] = new Proxy(Intl[k], { construct: (t, a, n) => (icu.add(`Intl.${k}`), Reflect.construct(t, a, n)) });",
      // Where the module list stood when the run first changed a V8 flag (tune-heap.ts, tune-wasm.ts).
      "const v8 = require('node:v8'); const setFlags = v8.setFlagsFromString; let flagged = -1;",
      'v8.setFlagsFromString = function (f) { if (flagged < 0) flagged = process.moduleLoadList.length; return setFlags.call(this, f); };',
      "process.on('exit', () => { const fs = require('node:fs'); fs.writeFileSync(process.env.TRACE_BUILTINS_FILE, process.moduleLoadList.join('\\n')); fs.writeFileSync(process.env.TRACE_BUILTINS_FILE + '.icu', [...icu].join('\\n')); fs.writeFileSync(process.env.TRACE_BUILTINS_FILE + '.flagged', flagged < 0 ? 'no flag set' : process.moduleLoadList.slice(flagged).join('\\n')); });",
    ].join('\n'),
  );
  return { NODE_OPTIONS: `--require=${preload}`, TRACE_BUILTINS_FILE: file, ...moduleTraceEnv(`${file}.modules`) };
}

const builtins = (file: string) => new Set(fs.readFileSync(file, 'utf8').split('\n'));
/** The npm packages a traced run loaded. */
const packages = (file: string) => loadedPackages(`${file}.modules`, ROOT);

describe('a run against an http:// server', () => {
  it.each([['streamed'], ['--no-stream']])('%s: loads neither tls, node:https, node:http2 nor node’s own undici; no ICU, no CSV package', async (mode) => {
    const input = writePrompts(ctx.dir, `${mode}.txt`, ['one', 'two']);
    const trace = path.join(ctx.dir, `${mode}.trace`);
    // Not -q: the summary line's counts, rate and cost are formatted too.
    const args = [input, '--base-url', ctx.server.url, ...(mode === 'streamed' ? [] : [mode])];
    const r = await runCli(args, { env: traceBuiltins(trace) });
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((row) => row.error)).toEqual([null, null]);
    const loaded = builtins(trace);
    expect(loaded.has('NativeModule net')).toBe(true); // the trace works
    // tls only for https (~15–20 ms of CPU); http2 never (undici's h2 client, off); node:http neither
    // (undici's two uses of it, required on use: scripts/bundle.mjs, lazyHttp; ~11 ms once a V8 flag
    // is set); and an ESM import of node:http on node ≥ 22 would load node's bundled undici through
    // its facade (~35 ms).
    for (const name of ['tls', 'https', 'http2', 'http', '_http_client', 'internal/deps/undici/undici'])
      expect(loaded.has(`NativeModule ${name}`), name).toBe(false);
    // undici's assert(…) checks require node:assert only when one fails; a plain run imports no
    // node:util, whose ESM facade loads util.parseArgs, util.diff and (not checked: the module
    // trace's hooks run on a worker thread) node:worker_threads (issue 16).
    // node:zlib only for a body a gateway compressed unasked (provider/content-coding.ts).
    const unneeded = ['assert', 'internal/util/parse_args/parse_args', 'internal/util/diff', 'zlib'];
    expect(unneeded.filter((name) => loaded.has(`NativeModule ${name}`))).toEqual([]);
    // Numbers are grouped without ICU (util/group-digits.ts): its first call costs ~20 ms of CPU.
    expect(r.stderr).toMatch(/2 ok, 0 failed · \d+ tokens in/);
    expect(fs.readFileSync(`${trace}.icu`, 'utf8')).toBe('');
    // A .txt run to a JSONL output parses and writes no CSV: csv-parse's graph of modules is ~20 ms.
    const loadedPkgs = packages(trace);
    expect(loadedPkgs.has('commander'), 'the module trace works').toBe(true);
    for (const name of ['csv-parse', 'csv-stringify']) expect(loadedPkgs.has(name), name).toBe(false);
    // A V8 flag set at run time changes V8's flag hash, and node's own code cache for a built-in
    // loaded after it no longer matches: it compiles from source. The run's code, and the built-ins
    // it imports, load first.
    const flagged = fs.readFileSync(`${trace}.flagged`, 'utf8');
    expect(flagged, 'a V8 flag was set').not.toBe('no flag set');
    const afterFlags = flagged.split('\n').filter((m) => m.startsWith('NativeModule '));
    expect(afterFlags.filter((m) => !/^NativeModule internal\/fs\/rimraf/.test(m))).toEqual([]);
  });

  // Node 20, 22 and 24 (V8 11-13): tune-wasm.ts. Without it, TurboFan took 40-90 ms of CPU to
  // compile the parser's main function within these 100 requests.
  it.runIf(Number(process.versions.v8.split('.')[0]) <= 13)(
    "100 prompts: undici's HTTP parser runs as WebAssembly's baseline compiler made it, never optimized",
    async () => {
      const input = writePrompts(
        ctx.dir,
        'parser.txt',
        Array.from({ length: 100 }, (_, i) => `question ${i}`),
      );
      const out = path.join(ctx.dir, 'parser.jsonl');
      // V8 writes the trace to stdout: the rows go to a file. A code cache of its own: the V8 flag
      // makes V8 refuse the shared one, and this run would write its own over it.
      const { env } = cacheHome('xdg-parser');
      const r = await runCli([input, '--base-url', ctx.server.url, '-q', '-o', out], { env, nodeArgs: ['--trace-wasm-compilation-times'] });
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(100);
      expect(r.stdout, 'the trace works').toMatch(/Compiled function .* using Liftoff/);
      expect(r.stdout.split('\n').filter((line) => line.includes('using TurboFan'))).toEqual([]);
    },
  );
});

describe('a run refused before it sends', () => {
  it('an output that exists: refused before the heavy packages load (HTTP client, SDK, display, Ajv, tokenizer, LMDB)', async () => {
    const input = writePrompts(ctx.dir, 'refused.txt', ['one']);
    const out = path.join(ctx.dir, 'refused.jsonl');
    fs.writeFileSync(out, '{"id":"x"}\n');
    const trace = path.join(ctx.dir, 'refused.trace');
    const r = await runCli([input, '--mock', '-o', out], { env: traceBuiltins(trace) });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refused.jsonl already exists: pass --resume');
    // Refusals are most of CI's CLI starts, and cron's. The CLI's own code loads as one import
    // (src/cli/commands.ts: fewer modules is cheaper than less code); what only some runs need does not.
    const loadedPkgs = packages(trace);
    expect(loadedPkgs.has('commander'), 'the module trace works').toBe(true);
    const heavy = ['undici', 'ora', 'cli-progress', 'ajv', 'gpt-tokenizer', 'lmdb', 'string-width', 'csv-parse'];
    expect(heavy.filter((name) => loadedPkgs.has(name))).toEqual([]);
    expect(builtins(trace).has('NativeModule internal/deps/undici/undici')).toBe(false);
  });
});

describe('--help', () => {
  it('loads no node:child_process (commander spawns only for executable subcommands: required on use)', async () => {
    const trace = path.join(ctx.dir, 'help.trace');
    const r = await runCli(['--help'], { env: traceBuiltins(trace) });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: llm-batch/);
    const loaded = builtins(trace);
    expect(loaded.has('NativeModule fs'), 'the trace works').toBe(true);
    expect(loaded.has('NativeModule child_process')).toBe(false);
  });
});

/** node ≥ 22.1: node keeps V8's code for the packages a run requires (src/cli/compile-cache.ts). */
const hasCompileCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

/** A cache home of its own, `XDG_CACHE_HOME=<ctx>/name`: its code cache dir, and the env for runCli. */
function cacheHome(name: string) {
  const xdg = path.join(ctx.dir, name);
  const env = { XDG_CACHE_HOME: xdg, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined };
  return { dir: path.join(xdg, 'llm-batch', 'node-compile-cache'), env };
}

/** The CLI's own code cache files in `dir` (src/cli/load-cli.ts). */
const codeCaches = (dir: string) => cachesNamed(dir, /^cli-[0-9a-f]{16}-v[\d.]+-\w+\.v8$/);
/** Those made by commands that send nothing (src/cli/load-cli.ts). */
const partialCaches = (dir: string) => cachesNamed(dir, /^cli-[0-9a-f]{16}-v[\d.]+-\w+\.partial\.v8$/);
/** Those of package scripts the CLI compiles itself: lmdb's and msgpackr's (src/util/cached-cjs.ts). */
const packageCaches = (dir: string) => cachesNamed(dir, /^pkg-[0-9a-f]{16}-v[\d.]+-\w+\.v8$/).sort();
const cachesNamed = (dir: string, name: RegExp) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((entry) => name.test(entry)) : []);

describe('the compile cache', () => {
  it.runIf(hasCompileCache)('fills <XDG_CACHE_HOME>/llm-batch/node-compile-cache; a run with it filled stays clean', async () => {
    const { dir, env } = cacheHome('xdg');
    const input = writePrompts(ctx.dir, 'cc.txt', ['one']);
    // With the response cache: LMDB's modules are packages a run requires, which node's cache keeps.
    for (const run of [1, 2]) {
      const r = await runCli([input, '--base-url', ctx.server.url, '-q'], { env, cache: true });
      expect(r.code, `run ${run}`).toBe(0);
      expect(r.stderr).toBe('');
    }
    // node's: a directory per node version, with the packages' modules; the CLI's own beside it.
    const entries = fs.readdirSync(dir, { recursive: true }).map(String);
    expect(entries.filter((e) => e.includes(path.sep)).length, entries.join(' ')).toBeGreaterThanOrEqual(2);
    expect(codeCaches(dir)).toHaveLength(1);
  });

  it("the CLI's code cache: made by the first run that sends, used as it is by the next ones; --help's partial one until then", async () => {
    const { dir, env } = cacheHome('xdg-code');
    const help = await runCli(['--help'], { env });
    expect(help.code).toBe(0);
    // The code --help compiled is not what a run needs: a partial cache of its own name, which the
    // commands that send nothing use as it is (--mock: no HTTP client).
    expect(codeCaches(dir)).toEqual([]);
    const [partialName, ...more] = partialCaches(dir);
    expect(more).toEqual([]);
    const partial = path.join(dir, partialName!);
    expect(fs.statSync(partial).mode & 0o777).toBe(0o600);
    const partialMade = fs.statSync(partial);
    const mock = await runCli([path.join(ROOT, 'fixtures/prompts.txt'), '--mock', '-q'], { env });
    expect(mock.code, mock.stderr).toBe(0);
    expect(codeCaches(dir)).toEqual([]);
    const partialNow = fs.statSync(partial);
    expect([partialNow.ino, partialNow.mtimeMs, partialNow.size]).toEqual([partialMade.ino, partialMade.mtimeMs, partialMade.size]);
    const input = writePrompts(ctx.dir, 'code.txt', ['one', 'two']);
    const run = () => runCli([input, '--base-url', ctx.server.url, '-q'], { env });
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const [name] = codeCaches(dir);
    expect(name).toContain(`-${process.version}-${process.arch}.v8`);
    expect(partialCaches(dir), 'the whole cache replaces the partial one').toEqual([]);
    const file = path.join(dir, name!);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const made = fs.statSync(file);
    for (const again of [2, 3]) {
      const r = await run();
      expect(r.code, `run ${again}: ${r.stderr}`).toBe(0);
      expect(rowsOf(r).map((row) => row.error)).toEqual([null, null]);
      // Not made again: V8 took it. It refuses a cache made under other V8 flags, and a run sets
      // some (tune-heap.ts, tune-wasm.ts): they are put back before the cache is made (v8-flags.ts).
      const now = fs.statSync(file);
      expect([now.ino, now.mtimeMs, now.size], `run ${again}`).toEqual([made.ino, made.mtimeMs, made.size]);
    }
  });

  it("the run that makes the code cache keeps its bytecode: V8's flushing does not leave the start's functions out", async () => {
    // V8 flushes the bytecode of functions idle for 6 full collections: a long first run's cache
    // lacked everything only its start ran (716 KB against 1.24 MB after 100,000 prompts), for ever.
    // Here every collection is full and 3 idle ones flush, as a long run's do.
    const prompts = Array.from({ length: 100 }, (_, i) => `question ${i}`);
    const input = writePrompts(ctx.dir, 'flushed.txt', prompts);
    const sizes: number[] = [];
    for (const [name, nodeArgs] of [
      ['xdg-unflushed', []],
      ['xdg-flushed', ['--gc-global', '--bytecode-old-age=3']],
    ] as const) {
      const { dir, env } = cacheHome(name);
      const run = () => runCli([input, '--base-url', ctx.server.url, '-q'], { env, nodeArgs });
      const first = await run();
      expect(first.code, first.stderr).toBe(0);
      const file = path.join(dir, codeCaches(dir)[0]!);
      const made = fs.statSync(file);
      sizes.push(made.size);
      // Made with the flag put back (v8-flags.ts): the next run, which flushes as V8 does, takes it.
      const again = await run();
      expect(again.code, again.stderr).toBe(0);
      expect(rowsOf(again).filter((row) => row.error === null)).toHaveLength(prompts.length);
      const now = fs.statSync(file);
      expect([now.ino, now.mtimeMs, now.size], name).toEqual([made.ino, made.mtimeMs, made.size]);
    }
    // Without keepBytecode: 688,976 against 1,184,248 bytes; with it 1,185,224.
    expect(sizes[1]!, `flushed ${sizes[1]}, unflushed ${sizes[0]}`).toBeGreaterThan(sizes[0]! * 0.95);
  });

  it("lmdb's and msgpackr's scripts: caches made by the first run that sends, used as they are; a damaged one made again", async () => {
    const home = cacheHome('xdg-packages');
    const { dir } = home;
    // One response cache for the test's runs: the second finds the first's answers.
    const env = { ...home.env, LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'packages-answers') };
    const input = writePrompts(ctx.dir, 'packages.txt', ['one', 'two']);
    const run = (extra = {}, file = input) => runCli([file, '--base-url', ctx.server.url, '-q'], { env: { ...env, ...extra } });
    const off = await run({ NODE_DISABLE_COMPILE_CACHE: '1' }, writePrompts(ctx.dir, 'packages-off.txt', ['zero']));
    expect(off.code, off.stderr).toBe(0);
    expect(packageCaches(dir)).toEqual([]);
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const names = packageCaches(dir);
    expect(names).toHaveLength(2);
    const made = names.map((name) => fs.statSync(path.join(dir, name)));
    for (const stat of made) expect(stat.mode & 0o777).toBe(0o600);
    const again = await run();
    expect(again.code, again.stderr).toBe(0);
    expect(rowsOf(again).map((row) => row.cached)).toEqual([true, true]);
    // Not made again: V8 took them (made with V8's flags as the run started, v8-flags.ts).
    expect(names.map((name) => fs.statSync(path.join(dir, name)).mtimeMs)).toEqual(made.map((stat) => stat.mtimeMs));
    const damaged = path.join(dir, names[0]!);
    fs.writeFileSync(damaged, fs.readFileSync(damaged).subarray(0, 64));
    // Answers not cached yet, so that this run writes and reads the store as the first did.
    const fresh = writePrompts(ctx.dir, 'packages-fresh.txt', ['three', 'four']);
    const mended = await run({}, fresh);
    expect(mended.code, mended.stderr).toBe(0);
    expect(mended.stderr).toBe('');
    expect(rowsOf(mended).map((row) => row.error)).toEqual([null, null]);
    expect(fs.statSync(damaged).size).toBeGreaterThan(1000);
    expect(packageCaches(dir)).toEqual(names);
  });

  it('a damaged code cache is made again, and costs the run nothing; NODE_DISABLE_COMPILE_CACHE makes none', async () => {
    const { dir, env } = cacheHome('xdg-damaged');
    const input = writePrompts(ctx.dir, 'damaged.txt', ['one', 'two']);
    const run = (extra = {}) => runCli([input, '--base-url', ctx.server.url], { env: { ...env, ...extra } });
    const off = await run({ NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(off.code, off.stderr).toBe(0);
    const offHelp = await runCli(['--help'], { env: { ...env, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(offHelp.code).toBe(0);
    expect([...codeCaches(dir), ...partialCaches(dir)]).toEqual([]);
    // A run with a failed prompt (exit 1) ran the whole path too: it makes the cache, as big batches
    // with a few failures always end so.
    const failing = writePrompts(ctx.dir, 'failing.txt', ['one', 'bad400 two']);
    ctx.server.options.fault = ({ prompt }) => (prompt.startsWith('bad400') ? '400' : undefined);
    const some = await runCli([failing, '--base-url', ctx.server.url, '-q'], { env });
    ctx.server.options.fault = undefined;
    expect(some.code, some.stderr).toBe(1);
    expect(codeCaches(dir)).toHaveLength(1);
    const file = path.join(dir, codeCaches(dir)[0]!);
    const good = fs.readFileSync(file);
    fs.writeFileSync(file, good.subarray(0, good.length / 2));
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^llm-batch: 2 ok, 0 failed/);
    expect(rowsOf(r).map((row) => row.error)).toEqual([null, null]);
    expect(fs.statSync(file).size).toBeGreaterThan(good.length / 2);
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a damaged partial cache: --help is unharmed and leaves it, the first run that sends replaces it', async () => {
    const { dir, env } = cacheHome('xdg-damaged-partial');
    expect((await runCli(['--help'], { env })).code).toBe(0);
    const partial = path.join(dir, partialCaches(dir)[0]!);
    const good = fs.readFileSync(partial);
    fs.writeFileSync(partial, good.subarray(0, good.length / 2));
    const help = await runCli(['--help'], { env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: llm-batch/);
    // Not made again by each command that cannot replace it (as under node flags V8 refuses it with).
    expect(fs.statSync(partial).size).toBe(Math.floor(good.length / 2));
    const input = writePrompts(ctx.dir, 'damaged-partial.txt', ['one']);
    const r = await runCli([input, '--base-url', ctx.server.url, '-q'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(partialCaches(dir)).toEqual([]);
    expect(codeCaches(dir)).toHaveLength(1);
  });

  it('a hand edit of the built script gets a code cache of its own: its mtime is in the name', () => {
    // A copy of the install, so that touching its script leaves the suite's alone.
    const tree = path.join(ctx.dir, 'edited-install');
    fs.mkdirSync(path.join(tree, 'dist'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'bin'), path.join(tree, 'bin'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'dist', 'bundle'), path.join(tree, 'dist', 'bundle'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(tree, 'package.json'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
    const { dir, env } = cacheHome('xdg-edited');
    const help = () => spawnSync(process.execPath, [path.join(tree, 'bin', 'llm-batch.js'), '--help'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(help().status).toBe(0);
    const [before, ...others] = partialCaches(dir);
    expect(others).toEqual([]);
    // Same bytes, same length, same build line: only the mtime says it is not what the cache was made from.
    fs.utimesSync(path.join(tree, 'dist', 'bundle', 'cli.cjs'), new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    const again = help();
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Usage: llm-batch/);
    const after = partialCaches(dir);
    expect(after).toHaveLength(2);
    expect(after).toContain(before);
  });

  it('a cache dir that cannot be made (a file in the way) costs the run nothing: same rows, nothing on stderr', async () => {
    const blocker = path.join(ctx.dir, 'not-a-dir');
    fs.writeFileSync(blocker, '');
    const input = writePrompts(ctx.dir, 'blocked.txt', ['one', 'two']);
    const r = await runCli([input, '--base-url', ctx.server.url, '-q'], {
      env: { XDG_CACHE_HOME: blocker, LLM_BATCH_CACHE_DIR: path.join(ctx.dir, 'answers') },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(rowsOf(r).map((row) => row.error)).toEqual([null, null]);
    expect(fs.statSync(blocker).isFile()).toBe(true);
  });
});
