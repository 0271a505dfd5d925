import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { RunError } from '../errors.js';

export async function runDryRun(_config: CliConfig, _io: CliIo): Promise<number> {
  throw new RunError('--dry-run is not implemented yet', 'usage');
}
