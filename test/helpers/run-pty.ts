/**
 * The built CLI on a pseudo-terminal (util-linux `script`, no node-pty), for what only a terminal
 * shows: the bar, the spinner, streamed answers, what Ctrl-C leaves behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT, SECRET_KEY, isolatedCacheDir } from './run-cli.js';
import { VirtualTerminal } from './vt.js';

export const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

export interface PtyResult {
  code: number | null;
  /** Everything the terminal received, escape codes included. */
  raw: string;
  /** The terminal's text once every escape code has been applied. */
  screen: string[];
}

export interface PtyOptions {
  env?: Record<string, string>;
  cols?: number;
  /** A shell command piped into the CLI (a pipeline); without it stdin is the terminal. */
  stdinFrom?: string;
  /** A shell command the CLI's stdout is piped into (`| jq …`); without it stdout is the terminal. */
  stdoutTo?: string;
  /** Shell commands run before the CLI starts (`stty …`). */
  setup?: string;
  /**
   * Run the CLI as the shell's child rather than `exec` it, so a setup may stop it (SIGSTOP): `script`
   * stops itself, and stops reading the terminal, when its own child stops.
   */
  asChild?: boolean;
  /**
   * Job control, as an interactive shell has it (`set -m`: the CLI in a process group of its own):
   * the CLI's line ends in `&` with `background`, and `after` (`bg`, `read x`, `fg`, `wait`) follows it.
   */
  jobs?: { background?: boolean; after: string };
  timeoutMs?: number;
}

export interface PtySession {
  child: ChildProcess;
  /** What the terminal received so far. */
  raw(): string;
  /** Types into the terminal (`\x03` is Ctrl-C: the line discipline signals the foreground group). */
  type(text: string): void;
  /** Resolves once the terminal received text matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<PtyResult>;
}

/** Starts the CLI on a pty of `cols` columns; stdin of `script` is a pipe we can type into. */
export function startPty(args: readonly string[], options: PtyOptions = {}): PtySession {
  const cols = options.cols ?? 100;
  const cli = [process.execPath, BIN, ...args].map(quote).join(' ');
  const piped = options.stdinFrom !== undefined || options.stdoutTo !== undefined;
  const { jobs } = options;
  const line = `${options.stdinFrom ? `${options.stdinFrom} | ` : ''}${piped || options.asChild || jobs ? '' : 'exec '}${cli}${options.stdoutTo ? ` | ${options.stdoutTo}` : ''}`;
  const body = jobs ? `set -m\n${line}${jobs.background ? ' &' : ''}\n${jobs.after}` : line;
  const command = `stty cols ${cols} rows 40\n${options.setup ? `${options.setup}\n` : ''}${body}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TERM: 'xterm-256color',
      OPENAI_API_KEY: SECRET_KEY,
      LLM_BATCH_CACHE_DIR: isolatedCacheDir(),
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  const onData = (d: string) => {
    raw += d;
    for (const w of [...waiters]) {
      if (w.re.test(raw)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const done = new Promise<PtyResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, raw, screen: new VirtualTerminal(cols).write(raw).text() });
    });
  });
  return {
    child,
    raw: () => raw,
    type: (text) => child.stdin!.write(text),
    waitFor(re, timeoutMs = 20_000) {
      if (re.test(raw)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${JSON.stringify(raw.slice(-2000))}`)), timeoutMs);
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    done,
  };
}

/** Runs the CLI on a pty to the end. */
export function runPty(args: readonly string[], options: PtyOptions = {}): Promise<PtyResult> {
  const session = startPty(args, options);
  session.child.stdin!.end();
  return session.done;
}
