import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { buildEnv, ROOT, type CliOptions, type CliResult } from './run-cli.js';

type Main = (argv: readonly string[], io: unknown) => Promise<number>;

let bundle: { main: Main } | undefined;

/** The script as bin/ loads it (dist/bundle/start.js's loadCli), without the code caches a user's run keeps. */
async function loadBundle(): Promise<{ main: Main }> {
  const start = (await import(pathToFileURL(path.join(ROOT, 'dist', 'bundle', 'start.js')).href)) as {
    loadCli(env: NodeJS.ProcessEnv, options: { packages: boolean }): { cli: { main: Main } };
  };
  return start.loadCli({ NODE_DISABLE_COMPILE_CACHE: '1' }, { packages: false }).cli;
}

/**
 * The built CLI's `main` (dist/bundle/cli.cjs, what bin/llm-batch.js calls) in this worker, for a
 * command line that sends nothing and leans on no process state: a refusal before anything runs
 * (exit 2: a bad flag, value, path or combination), a --dry-run, `report`, `merge`, `--compact`.
 * The same code and words as a child process, without its start (~0.2 s of CPU each under CI's
 * load, ~0.5 s for a --dry-run, which loads the tokenizer: CI is CPU-bound). No signals, no
 * requests, no TTY, the worker's cwd (ROOT, runCli's default). What bin/ adds (held signals, the
 * compile cache, a bundle that cannot load) and what a process's end adds (exit status, flushed
 * pipes, locks let go) stay runCli's tests: each family of these keeps one as a child process.
 */
export async function runInWorker(args: readonly string[], options: Pick<CliOptions, 'env' | 'stdin'> = {}): Promise<CliResult> {
  const { main } = (bundle ??= await loadBundle());
  let stdout = '';
  let stderr = '';
  const out = new PassThrough().setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const err = new PassThrough().setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const io = {
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    stdout: out,
    stderr: err,
    env: buildEnv(options.env),
    onSignal: () => () => {},
  };
  const code = await withoutWorkerProxies(io.env, () => main(args, io));
  // What was written is all read before the result is: as a process's pipes drain before its exit.
  await Promise.all([out, err].map((s) => (s.writableEnded ? finished(s) : finished(s.end()))));
  return { code, signal: null, stdout, stderr };
}

/** The variables the CLI takes its proxy from, which it reads from `process.env` (src/provider/proxy-env.ts). */
const PROXY_VARIABLE = /^(https?|all|no)_proxy$/i;

/** The worker's own proxy variables while in-worker runs are under way (how many), put back after the last. */
let savedProxies: [string, string | undefined][] = [];
let runsWithout = 0;

/**
 * Runs `run` with the worker's `process.env` proxy variables as a child run would have them: those
 * of `env` (buildEnv passes none of the test runner's own). A developer's ALL_PROXY=socks5://… failed
 * in-worker runs that a child process ran without it. Put back after the last of the runs under way:
 * the worker's own requests (the mock servers, chromium) never read them.
 */
async function withoutWorkerProxies<T>(env: NodeJS.ProcessEnv, run: () => Promise<T>): Promise<T> {
  if (runsWithout++ === 0) {
    savedProxies = Object.entries(process.env).filter(([name]) => PROXY_VARIABLE.test(name));
    for (const [name] of savedProxies) delete process.env[name];
  }
  const given = Object.entries(env).filter(([name]) => PROXY_VARIABLE.test(name));
  for (const [name, value] of given) process.env[name] = value;
  try {
    return await run();
  } finally {
    for (const [name] of given) delete process.env[name];
    if (--runsWithout === 0) for (const [name, value] of savedProxies) process.env[name] = value;
  }
}
