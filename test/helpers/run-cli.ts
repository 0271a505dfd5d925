import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { recordTempDir } from './run-root.js';
import { until } from './until.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'llm-batch.js');
/** A key that must never show up in any output. */
export const SECRET_KEY = 'sk-test-DO-NOT-PRINT-8f3a9c1e77b24d6a';

/** nobody, when the tests run as root: a run that wrongly writes into /dev then fails instead of littering it. */
export const AS_USER: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/**
 * Whether this node runs the CLI as AS_USER: under `npm exec --package=node@22` (CI) node lives in
 * root's npm cache, which nobody cannot reach; such runs skip, the default node's run covers them.
 */
export const userCanRunCli = (): boolean => spawnSync(process.execPath, [BIN, '--version'], { ...AS_USER, cwd: '/' }).status === 0;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Extra environment; the base is PATH and HOME only, plus OPENAI_API_KEY = SECRET_KEY unless overridden (undefined removes). */
  env?: Record<string, string | undefined>;
  /** Written to stdin, then stdin is closed. Without it stdin is closed at once (not a TTY). */
  stdin?: string;
  /** Written to stdin, which is then left open: a pipe whose writer has more to say (`tail -f`). */
  openStdin?: string;
  cwd?: string;
  /** Kill the child if it runs longer (a safety net, not an assertion). @default 60000 */
  timeoutMs?: number;
  /**
   * Run with the response cache on, in a directory of its own, as a user's run has it. Off by
   * default (LLM_BATCH_NO_CACHE=1): most suites test something else, and opening and writing a
   * fresh store cost each run ~90 ms of CPU, ~14 % of the end-to-end suites' time in CI. On anyway
   * when a test gives `--cache-dir` or LLM_BATCH_CACHE_DIR (the cache's own suites do).
   */
  cache?: boolean;
  /** Flags for node itself (V8's among them), before the CLI's script. */
  nodeArgs?: readonly string[];
}

/** The run's temp root (test/helpers/run-root.ts), made and removed by test/global-setup.ts. */
export function runRoot(): string {
  const root = inject('runRoot');
  if (!root) throw new Error('no run root: run the tests with vitest.config.ts, whose globalSetup makes one');
  return root;
}

/** Records `dir`, a temp dir made outside the run root, for the run's end to remove (if the test did not); returns it. */
export function removeAtRunEnd(dir: string): string {
  return recordTempDir(runRoot(), dir);
}

let cacheRoot: string | undefined;
let cacheCount = 0;

/**
 * A response cache directory of its own for every CLI started by a test: runs of the same prompts
 * must not answer each other from ~/.cache. Under the run root, which the run's end removes (a
 * worker never exits, so it cannot).
 */
export function isolatedCacheDir(): string {
  cacheRoot ??= fs.mkdtempSync(path.join(runRoot(), 'cache-'));
  return path.join(cacheRoot, String(++cacheCount));
}

export function buildEnv(extra: CliOptions['env'], cache = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OPENAI_API_KEY: SECRET_KEY,
    LLM_BATCH_CACHE_DIR: isolatedCacheDir(),
    ...(cache || (extra && 'LLM_BATCH_CACHE_DIR' in extra) ? {} : { LLM_BATCH_NO_CACHE: '1' }),
  };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts the built CLI (`npm run build` first) as a child process. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: buildEnv(options.env, options.cache),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (options.openStdin !== undefined) child.stdin!.write(options.openStdin);
  else if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  else child.stdin!.end();
  return child;
}

/**
 * Runs `script` in bash in `cwd` with `$LLM` the built CLI (node BIN), as a user's shell line would;
 * the whole group (bash, the CLI, a writer blocked on a FIFO) is killed after `timeoutMs`: a hang fails.
 */
export function runShell(script: string, cwd: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  const child = spawn('bash', ['-c', script], {
    cwd,
    env: { ...buildEnv({}), LLM: `${process.execPath} ${BIN}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return waitForExit(child, timeoutMs, true);
}

/**
 * The built CLI as AS_USER, in `/`, prompts on stdin, with no cache dir it could create: a run
 * that wrongly writes into /dev or /proc fails on its permissions instead of littering them.
 */
export function runCliAsUser(args: readonly string[], stdin: string, timeoutMs = 20_000): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    ...AS_USER,
    cwd: '/',
    env: { PATH: process.env.PATH, HOME: '/', OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_CACHE_DIR: '/nonexistent' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdin.end(stdin);
  return waitForExit(child, timeoutMs, true);
}

/** Collects a child's output and waits for it to exit; `group`: a detached child's whole group is killed on timeout. */
export function waitForExit(child: ChildProcess, timeoutMs = 60_000, group = false): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (group ? process.kill(-child.pid!, 'SIGKILL') : child.kill('SIGKILL')), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return waitForExit(spawnCli(args, options), options.timeoutMs);
}

/** A fresh temporary directory, removed by the returned cleanup, or else at the run's end (a skipped suite's afterAll, a killed worker). */
export function tempDir(prefix = 'llm-batch-test-'): { dir: string; cleanup: () => void } {
  const dir = removeAtRunEnd(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Parses JSONL text into objects (ignores a trailing empty line). */
export function parseJsonl<T = any>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Writes prompts one per line into dir/name and returns the path. */
export function writePrompts(dir: string, name: string, prompts: readonly string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, prompts.join('\n') + '\n');
  return file;
}

/**
 * Starts the built CLI, waits until its stderr says `said` (or it exits), then sends SIGTERM; the
 * result, with the child killed after `timeoutMs`: a run that hangs fails rather than the suite.
 */
export async function sigtermOnceSaid(args: readonly string[], said: RegExp, what: string, timeoutMs = 15_000): Promise<CliResult> {
  const child = spawnCli(args);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = waitForExit(child, timeoutMs);
  await until(() => child.exitCode !== null || said.test(stderr), what);
  child.kill('SIGTERM');
  return exit;
}
