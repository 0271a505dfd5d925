import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { UsageError } from '../errors.js';
import { sanitize, sanitizeName } from '../util/sanitize.js';
import type { CliConfig } from './config.js';
import { pathProblem, readProblem } from './path-problem.js';
import { unwritableReason } from './check-writable.js';
import { writeAllSync } from '../util/write-all-sync.js';
import { ownFdOf } from '../util/own-fd.js';
import type { CliIo } from './io.js';

/**
 * Where `-v` / `--trace FILE` lines go: stderr, or appended to the file (opened before the first
 * request, so an unwritable path is a usage error, not a silent loss). Writes are synchronous and
 * whole, so lines of concurrent requests never tear. On stderr, a server's control characters (an
 * error page's escape sequences) are shown as `\uFFFD`, as in every other message there, so they
 * neither clear nor retitle the terminal (so on a terminal named as the file: `/dev/stderr`, `/dev/tty`);
 * a file keeps the bytes as they came.
 */
export function openTrace(config: Pick<CliConfig, 'trace'>, io: CliIo): ((text: string) => void) | undefined {
  const trace = config.trace;
  if (!trace) return undefined;
  if (trace.kind === 'stderr') return (text) => void io.stderr.write(sanitize(text));
  // `/dev/stderr` and its kin into a file through this process's own descriptor: opened anew, its lines
  // went at an offset of their own, which stderr's later lines overwrote in a `2> run.log` (see ownFdOf).
  let fd = ownFdOf(trace.path);
  try {
    fd ??= fs.openSync(trace.path, 'a');
  } catch (err) {
    throw new UsageError(`--trace ${trace.path}: ${openFailure(trace.path, err as NodeJS.ErrnoException)}`);
  }
  const out = fd;
  // `--trace /dev/stderr` or `/dev/tty` on a terminal: shown as -v shows it, a file keeps the bytes.
  const shown = tty.isatty(fd) ? sanitize : (text: string) => text;
  let failed = false;
  return (text) => {
    if (failed) return;
    try {
      writeAllSync(out, shown(text));
    } catch (err) {
      // A trace that cannot be written (a full disk, `--trace - | head` gone) is no reason to fail
      // the requests it describes: it stops, said once.
      failed = true;
      io.stderr.write(`llm-batch: --trace ${sanitizeName(trace.path)}: ${pathProblem(err)}: the trace stops here, the run goes on\n`);
    }
  };
}

/**
 * Said as --output and --summary-json say it (`is a directory`, `permission denied`): ENOENT is a
 * missing directory, or one that takes no new file (/proc).
 */
function openFailure(file: string, err: NodeJS.ErrnoException): string {
  // `--trace logs/` for no directory logs, or through a file: open(2) says EISDIR for both.
  if (err.code === 'EISDIR') return unwritableReason(file, 'direct') ?? readProblem(err);
  if (err.code !== 'ENOENT') return readProblem(err);
  const dir = path.dirname(path.resolve(file));
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? `cannot create a file in ${dir} (ENOENT)` : 'no such directory';
}
