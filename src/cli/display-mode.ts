import fs from 'node:fs';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { rowsFeedAnotherProgram } from './piped-stdout.js';
import { STDERR_NAMES, STDOUT_NAMES } from './std-stream-names.js';

type Stream = { isTTY?: boolean };

/**
 * FORCE_COLOR as node (`util.styleText`, `tty.WriteStream#hasColors`) and chalk read it: `0` or
 * `false` no colour; empty, `1`, `2`, `3` or `true` colour; anything else no colour (as node has
 * it). Undefined when unset.
 */
function forcedColor(env: NodeJS.ProcessEnv): boolean | undefined {
  const force = env.FORCE_COLOR;
  return force === undefined ? undefined : ['', '1', '2', '3', 'true'].includes(force);
}

/**
 * Colour only on a terminal. There FORCE_COLOR decides when set, over NO_COLOR and TERM=dumb as in
 * node; otherwise never with NO_COLOR set (https://no-color.org) or TERM=dumb. Off a terminal no
 * escape code at all, FORCE_COLOR=1 or not (node would colour): rows and summaries there go to
 * logs and scripts, and FORCE_COLOR is often inherited from a parent (a task runner, CI) unasked.
 */
export function useColor(io: CliIo, stream: Stream): boolean {
  if (stream.isTTY !== true) return false;
  return forcedColor(io.env) ?? (!io.env.NO_COLOR && io.env.TERM !== 'dumb');
}

/** Spinners and bars need a terminal that understands cursor movement. */
export function isInteractive(io: CliIo, stream: Stream): boolean {
  return stream.isTTY === true && io.env.TERM !== 'dumb';
}

/**
 * Whether the trace goes where the bar is drawn: -v, or a --trace path naming stderr or the
 * terminal (by name, or by device: `--trace $(tty)`), or stdout (`--trace -` with the rows in a
 * file) when stdout is a terminal.
 */
export const traceOnTerminal = (trace: CliConfig['trace'], io: Pick<CliIo, 'stdout' | 'stderr'>): boolean =>
  trace !== undefined &&
  (trace.kind === 'stderr' ||
    STDERR_NAMES.test(trace.path) ||
    trace.path === '/dev/tty' ||
    (STDOUT_NAMES.test(trace.path) && io.stdout.isTTY === true) ||
    (io.stderr.isTTY === true && isStderrTerminal(trace.path)));

/** Whether `file` is the terminal device stderr is on (`/dev/pts/3`). */
function isStderrTerminal(file: string): boolean {
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    return stat?.isCharacterDevice() === true && stat.rdev === fs.fstatSync(2).rdev;
  } catch {
    return false;
  }
}

/** What the run's display shows on its own, before any event: a spinner and bar, or a plain progress line every N seconds. */
export function displayMode(config: CliConfig, io: CliIo): { interactive: boolean; plainEvery: number | undefined } {
  // -v writes its trace to stderr, and so does --trace /dev/stderr (or /dev/tty, the same terminal): a bar would cut into it.
  // Prompts typed on the terminal (`llm-batch -` with stdin a terminal): a spinner or bar redrawn on
  // the line being typed erased it as it was typed, and left its pieces glued to stale status lines.
  const typing = config.input.kind === 'stdin' && io.stdin.isTTY === true;
  const interactive = !config.quiet && !typing && !traceOnTerminal(config.trace, io) && isInteractive(io, io.stderr) && !rowsFeedAnotherProgram(config, io);
  return { interactive, plainEvery: !interactive && !config.quiet ? config.progressEverySec : undefined };
}

/**
 * Whether the display does anything before the run sends (a spinner, a timed progress line, an
 * answer printer that the output is): otherwise it is the same made before the output is opened or
 * after, and a run refused on the way loads none of its code.
 */
export function displaysBeforeSending(config: CliConfig, io: CliIo): boolean {
  const { interactive, plainEvery } = displayMode(config, io);
  return interactive || plainEvery !== undefined || config.output.kind === 'terminal';
}
