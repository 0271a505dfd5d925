import { OutputClosedError, type RunError } from '../errors.js';
import { sanitizeName } from '../util/sanitize.js';
import { createKeyRedactor } from '../redact.js';
import type { CliIo } from './io.js';

/**
 * How a RunError ends a command: its one line on stderr, with what it quotes (a server's text, a
 * file name) made safe for a terminal, and its exit code. When stdout's reader left (`… | head`)
 * nothing is said, as for a program SIGPIPE would have killed.
 */
export function runErrorExit(err: RunError, io: Pick<CliIo, 'stderr' | 'env'>): number {
  // The key as the last line of defence: a file name or value it quotes may hold it.
  if (!(err instanceof OutputClosedError)) io.stderr.write(`llm-batch: ${sanitizeName(createKeyRedactor(io.env.OPENAI_API_KEY?.trim())(err.message))}\n`);
  return err.exitCode;
}
