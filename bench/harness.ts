/**
 * Shared plumbing for the benchmarks: find the project, spawn the BUILT CLI with wall time and
 * peak RSS measured around it, write prompts, check result rows, format numbers and tables.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest directory above this file whose package.json is llm-batch's. */
export const ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));
export const BIN = path.join(ROOT, 'bin', 'llm-batch.js');
/** The key every CLI child gets; the mock server insists on it. */
export const BENCH_KEY = 'sk-bench';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'llm-batch') return dir;
      } catch {
        // not ours; keep climbing
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`bench: no llm-batch package.json above ${start}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Peak RSS

const GNU_TIME = '/usr/bin/time';

/**
 * How peak RSS is measured: GNU time's "Maximum resident set size" (the kernel's high-water mark
 * from wait4, exact) when /usr/bin/time is GNU time, else VmHWM polled from /proc every 50 ms.
 * BENCH_RSS=proc forces polling.
 */
export const RSS_METHOD: 'gnu-time' | 'proc-poll' | 'none' = detectRssMethod();

function detectRssMethod(): 'gnu-time' | 'proc-poll' | 'none' {
  if (process.env.BENCH_RSS !== 'proc' && fs.existsSync(GNU_TIME)) {
    try {
      const probe = spawnSyncQuiet(GNU_TIME, ['-v', process.execPath, '-e', '0']);
      if (/Maximum resident set size/.test(probe)) return 'gnu-time';
    } catch {
      // not GNU time (busybox, BSD): fall through
    }
  }
  return fs.existsSync('/proc/self/status') ? 'proc-poll' : 'none';
}

function spawnSyncQuiet(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

function readVmHwmKb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // already gone
  }
}

/** One reading of a process's resident memory: anonymous (heap, buffers) and file-backed (maps). */
export interface MemorySample {
  /** performance.now() of the reading. */
  at: number;
  anonKb: number;
  fileKb: number;
}

function readRss(pid: number): { anonKb: number; fileKb: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const anon = /^RssAnon:\s+(\d+)\s+kB/m.exec(status);
    const file = /^RssFile:\s+(\d+)\s+kB/m.exec(status);
    return anon && file ? { anonKb: Number(anon[1]), fileKb: Number(file[1]) } : undefined;
  } catch {
    return undefined; // already gone
  }
}

/** The CLI's own pid when GNU time wraps it (time's only child), else `pid` itself. */
function cliPid(pid: number): number {
  try {
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'time') return pid;
    const child = Number(fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]);
    return child > 0 ? child : pid;
  } catch {
    return pid;
  }
}

/** The highest anon + file reading among `samples` taken in [from, to), or undefined. */
export function peakBetween(samples: readonly MemorySample[], from = -Infinity, to = Infinity): MemorySample | undefined {
  let best: MemorySample | undefined;
  for (const s of samples) if (s.at >= from && s.at < to && (!best || s.anonKb + s.fileKb > best.anonKb + best.fileKb)) best = s;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() just before spawn (the mock server's request times use the same clock). */
  startedAt: number;
  /** From just before spawn to the child's exit, in ms. */
  wallMs: number;
  /** Peak resident set size in kB, if it could be measured. */
  peakRssKb?: number;
  /** With `memoryTimeline`: the CLI's resident memory every 100 ms. */
  memory?: MemorySample[];
  /** User + system CPU seconds of the child (GNU time only): what it cost, whatever the load. */
  cpuSeconds?: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** Measure peak RSS (wraps the child in GNU time, or polls /proc). */
  rss?: boolean;
  /** Measure the child's CPU time (wraps it in GNU time when there is one). */
  cpu?: boolean;
  /** Safety net: SIGKILL after this long. */
  timeoutMs?: number;
  /** Read the CLI's anonymous and file-backed RSS every 100 ms (Linux), to tell phases apart. */
  memoryTimeline?: boolean;
  /** Command to run instead of the CLI (argv[0] is the executable). */
  command?: readonly string[];
}

const MAX_CAPTURE = 1 << 20;

let cacheRoot: string | undefined;

/** A fresh response cache per run: a scenario must pay for its answers, not find the last one's. */
export function freshCacheDir(): string {
  if (!cacheRoot) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-bench-cache-'));
    cacheRoot = root;
    process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(cacheRoot, 'run-'));
}

function benchEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: BENCH_KEY, LLM_BATCH_CACHE_DIR: freshCacheDir() };
}

/**
 * Spawns `node bin/llm-batch.js ...args` (stdin /dev/null, stdout/stderr captured) and measures
 * it. The wall clock starts just before spawn, so it includes node's own start-up.
 */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<ChildRun> {
  const argv = options.command ? [...options.command] : [process.execPath, BIN, ...args];
  let rssFile: string | undefined;
  if ((options.rss || options.cpu) && RSS_METHOD === 'gnu-time') {
    rssFile = path.join(os.tmpdir(), `llm-batch-bench-rss-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    argv.unshift(GNU_TIME, '-v', '-o', rssFile);
  }
  const poll = options.rss && RSS_METHOD === 'proc-poll';

  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: benchEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_CAPTURE) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_CAPTURE) stderr += d;
    });

    let peak = 0;
    let poller: NodeJS.Timeout | undefined;
    if (poll && child.pid !== undefined) {
      const pid = child.pid;
      const sample = (): void => {
        const kb = readVmHwmKb(pid);
        if (kb !== undefined && kb > peak) peak = kb;
      };
      sample();
      poller = setInterval(sample, 50);
    }
    const memory: MemorySample[] = [];
    let timeline: NodeJS.Timeout | undefined;
    if (options.memoryTimeline && child.pid !== undefined) {
      const spawned = child.pid;
      timeline = setInterval(() => {
        const rss = readRss(cliPid(spawned));
        if (rss) memory.push({ at: performance.now(), ...rss });
      }, 100);
    }

    let timedOut = false;
    const killer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);

    child.on('error', (err) => {
      clearTimeout(killer);
      if (poller) clearInterval(poller);
      if (timeline) clearInterval(timeline);
      reject(err);
    });
    child.on('exit', () => {
      // Stop the clock at exit, not at 'close' (which waits for the pipes to drain).
      const wallMs = performance.now() - started;
      if (poller) clearInterval(poller);
      if (timeline) clearInterval(timeline);
      child.on('close', (code, signal) => {
        clearTimeout(killer);
        let peakRssKb: number | undefined = poll && peak > 0 ? peak : undefined;
        let cpuSeconds: number | undefined;
        if (rssFile) {
          try {
            const text = fs.readFileSync(rssFile, 'utf8');
            const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(text);
            if (m) peakRssKb = Number(m[1]);
            const user = /User time \(seconds\):\s*([\d.]+)/.exec(text);
            const sys = /System time \(seconds\):\s*([\d.]+)/.exec(text);
            if (user && sys) cpuSeconds = Number(user[1]) + Number(sys[1]);
            // Under GNU time a killed CLI shows up as time's non-zero exit; say why.
            const killed = text.split('\n').find((l) => /terminated by signal/.test(l));
            if (killed) stderr += `\n[bench] ${killed.trim()}`;
          } catch {
            // no report: the child never ran
          }
          fs.rmSync(rssFile, { force: true });
        }
        resolve({ code, signal, startedAt: started, wallMs, peakRssKb, ...(timeline ? { memory } : {}), cpuSeconds, stdout, stderr, timedOut });
      });
    });
  });
}

/** The last few lines of a child's stderr, for failure reports. */
export function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Files and rows

export interface Workspace {
  dir: string;
  input: string;
  output: string;
  summary: string;
  cleanup(): void;
}

/** A temp directory with the prompts written one per line; output/summary paths inside it. */
export function workspace(prompts: readonly string[]): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-bench-'));
  const input = path.join(dir, 'prompts.txt');
  fs.writeFileSync(input, prompts.join('\n') + '\n');
  return {
    dir,
    input,
    output: path.join(dir, 'out.jsonl'),
    summary: path.join(dir, 'summary.json'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** `count` distinct single-line prompts. */
export function makePrompts(count: number, label: string): string[] {
  const prompts: string[] = new Array(count);
  for (let i = 0; i < count; i++) prompts[i] = `${label} ${i + 1}: what is ${i + 1} times seven?`;
  return prompts;
}

/** The subset of the CLI's --summary-json this harness reads. */
export interface CliSummary {
  ok: number;
  failed: number;
  failedByType: Record<string, number>;
  requests: number;
  retries: number;
  rateLimited: number;
  wallSeconds: number;
  requestsPerSecond: number;
}

export function readSummary(file: string): CliSummary | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CliSummary;
  } catch {
    return undefined;
  }
}

export interface RowCheck {
  rows: number;
  /** Prompts with exactly one row, and that row a success carrying the mock's answer. */
  good: number;
  missing: number;
  /** Extra rows beyond the first for a prompt. */
  duplicates: number;
  errorRows: number;
  /** Success rows whose response is not the mock's `ECHO <prompt>`. */
  wrongAnswers: number;
  /** Rows for prompts that were never in the input, or unparsable lines. */
  unexpected: number;
  /** Error types seen in error rows. */
  errorTypes: Record<string, number>;
  pass: boolean;
}

/** Every prompt must have exactly one row, a success whose answer is `expected(prompt)` (default `ECHO <prompt>`). */
export function checkRows(outputFile: string, prompts: readonly string[], expected: (prompt: string) => string = (p) => `ECHO ${p}`): RowCheck {
  const seen = new Map<string, number>();
  for (const p of prompts) seen.set(p, 0);
  let text = '';
  try {
    text = fs.readFileSync(outputFile, 'utf8');
  } catch {
    // no output at all: everything is missing
  }
  let rows = 0;
  let duplicates = 0;
  let errorRows = 0;
  let wrongAnswers = 0;
  let unexpected = 0;
  const errorTypes: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    rows++;
    let row: { prompt?: unknown; response?: unknown; error?: { type?: string } | null };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      unexpected++;
      continue;
    }
    const prompt = typeof row.prompt === 'string' ? row.prompt : undefined;
    const count = prompt === undefined ? undefined : seen.get(prompt);
    if (count === undefined) {
      unexpected++;
      continue;
    }
    seen.set(prompt!, count + 1);
    if (count > 0) duplicates++;
    if (row.error) {
      errorRows++;
      const type = row.error.type ?? 'unknown';
      errorTypes[type] = (errorTypes[type] ?? 0) + 1;
    } else if (row.response !== expected(prompt!)) {
      wrongAnswers++;
    }
  }
  let missing = 0;
  for (const c of seen.values()) if (c === 0) missing++;
  const good = prompts.length - missing - errorRows - wrongAnswers - duplicates;
  const pass = missing === 0 && duplicates === 0 && errorRows === 0 && wrongAnswers === 0 && unexpected === 0 && rows === prompts.length;
  return { rows, good: Math.max(0, good), missing, duplicates, errorRows, wrongAnswers, unexpected, errorTypes, pass };
}

export function describeRowCheck(c: RowCheck, total: number): string {
  if (c.pass) return `${total}/${total} ok, 0 dup`;
  const parts = [`${c.rows} rows for ${total} prompts`];
  if (c.missing) parts.push(`${c.missing} missing`);
  if (c.duplicates) parts.push(`${c.duplicates} dup`);
  if (c.errorRows)
    parts.push(
      `${c.errorRows} errors (${Object.entries(c.errorTypes)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    );
  if (c.wrongAnswers) parts.push(`${c.wrongAnswers} wrong answers`);
  if (c.unexpected) parts.push(`${c.unexpected} unexpected`);
  return parts.join(', ');
}

// ---------------------------------------------------------------------------------------------
// Numbers

/** Deterministic PRNG (mulberry32) so fault plans are reproducible. */
export { seededRandom } from '../test/helpers/seeded-random.js';

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const fmt = {
  s: (ms: number) => `${(ms / 1000).toFixed(2)} s`,
  ms: (ms: number) => `${ms.toFixed(1)} ms`,
  mb: (kb: number | undefined) => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`),
  ratio: (x: number) => x.toFixed(3),
  pct: (x: number) => `${(x * 100).toFixed(2)} %`,
  int: (n: number) => n.toLocaleString('en-US'),
};

// ---------------------------------------------------------------------------------------------
// Results and the table

export interface Measure {
  /** What is measured, e.g. "wall time". */
  name: string;
  value: string;
  /** The requirement, when this measure is checked against one. */
  requirement?: string;
  pass?: boolean;
}

export interface ScenarioResult {
  scenario: string;
  measures: Measure[];
  /** Extra lines printed under the table (diagnostics for failures). */
  notes: string[];
}

export function passed(r: ScenarioResult): boolean {
  return r.measures.every((m) => m.pass !== false);
}

/** A plain-text table with left-aligned columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function resultRows(results: readonly ScenarioResult[]): string[][] {
  const rows: string[][] = [];
  for (const r of results) {
    r.measures.forEach((m, i) => {
      const verdict = m.pass === undefined ? '' : m.pass ? 'PASS' : 'FAIL';
      rows.push([i === 0 ? r.scenario : '', m.name, m.value, m.requirement ?? '', verdict]);
    });
  }
  return rows;
}

/** nproc, node, CPU model and memory: what the README's results table records. */
export function machine(): string {
  let cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const memGb = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `${cores} cores (nproc), ${cpu}, ${memGb} GiB RAM, node ${process.version}${benchNodeNote()}, ${os.platform()} ${os.release()}`;
}

/** The hot scenarios' clients run on BENCH_NODE (bench/hot.ts): the header says so, not only their rows. */
function benchNodeNote(): string {
  const node = process.env.BENCH_NODE;
  if (!node) return '';
  const r = spawnSync(node, ['--version'], { encoding: 'utf8' });
  return ` (hot scenarios' clients on node ${r.status === 0 ? r.stdout.trim() : `? (${node} did not run)`}, BENCH_NODE)`;
}

/** The commit the CLI was built from, "+dirty" when src/ has uncommitted changes (read-only git). */
export function revision(): string {
  try {
    const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    if (!head) return 'unknown';
    const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}
