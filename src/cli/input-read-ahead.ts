import fs from 'node:fs';
import type { CliConfig } from './config.js';

/**
 * Whether the input can be read ahead of the run and then again by it. Only a regular file can: a
 * pipe (`<(zcat …)`, /dev/fd/N, a FIFO) or a device is read once, by the run, as stdin is; a read
 * ahead would eat its rows (or wait for ever on a FIFO's writer). Decided by stat, which never
 * opens the file. `missing` when it cannot be stat'ed: the run's own open says why.
 */
export async function inputReadAhead(config: CliConfig): Promise<'file' | 'stream' | 'missing'> {
  if (config.input.kind !== 'file') return 'stream';
  try {
    return (await fs.promises.stat(config.input.path)).isFile() ? 'file' : 'stream';
  } catch {
    return 'missing';
  }
}
