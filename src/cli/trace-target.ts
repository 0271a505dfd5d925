import fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';

/**
 * Where `-v` / `--trace FILE` lines go: stderr, or appended to the file (opened before the first
 * request, so an unwritable path is a usage error, not a silent loss). Writes are synchronous and
 * whole, so lines of concurrent requests never tear.
 */
export function openTrace(config: Pick<CliConfig, 'trace'>, io: CliIo): ((text: string) => void) | undefined {
  const trace = config.trace;
  if (!trace) return undefined;
  if (trace.kind === 'stderr') return (text) => void io.stderr.write(text);
  let fd: number;
  try {
    fd = fs.openSync(trace.path, 'a');
  } catch (err) {
    throw new UsageError(`--trace ${trace.path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}`);
  }
  return (text) => {
    fs.writeSync(fd, text);
  };
}
