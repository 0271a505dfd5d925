import fs from 'node:fs';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';

/**
 * Whether the rows go down a pipe to another program (`llm-batch | jq`) while stderr is a terminal.
 * That program most likely prints to the same terminal, knowing nothing of a status line at its
 * bottom: its lines would land glued to the bar and be cut by its next redraw. Such a run shows
 * no live bar or spinner, only whole lines (messages, the summary, `--progress` lines if asked),
 * which interleave cleanly with the other program's. Stdout redirected to a file keeps the bar.
 */
export function rowsFeedAnotherProgram(config: CliConfig, io: CliIo): boolean {
  return config.output.kind === 'stdout' && stdoutIsPipe(io);
}

/** Whether stdout is a pipe or a socket (to another program), not a terminal or a file. */
export function stdoutIsPipe(io: CliIo): boolean {
  if (io.stdout.isTTY === true) return false;
  const fd = (io.stdout as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return false;
  try {
    const stat = fs.fstatSync(fd);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}
