import type { CsvLayout } from '../output/index.js';
import { checkStdinFile } from './check-stdin-file.js';
import type { CliConfig } from './config.js';
import type { CliReporter } from './create-reporter.js';
import { csvLayoutFor } from './csv-layout-for.js';
import type { InputFingerprint } from './input-fingerprint.js';
import type { CliIo } from './io.js';
import { openInput, type OpenedInput } from './open-input.js';
import { fingerprint } from './run-identity.js';

/**
 * Opens the input and, for a results file that a resume must match, hashes it; the same pass checks
 * its encoding, as checkStdinFile does for stdin redirected from a file. The CSV layout (kept fields)
 * is settled first: `--keep-fields all` reads the input's header. A `stop` while it opens closes it (see openInput).
 */
export async function openRunInput(
  config: CliConfig,
  io: CliIo,
  reporter: Pick<CliReporter, 'close'>,
  stop?: AbortSignal,
): Promise<{ input: OpenedInput; inputFingerprint: InputFingerprint | null; layout: CsvLayout }> {
  let input: OpenedInput | undefined;
  try {
    const layout = await csvLayoutFor(config);
    input = await openInput(config, io, stop);
    const inputFingerprint = config.output.kind === 'file' ? await fingerprint(config) : null;
    await checkStdinFile(config, io.stdin);
    return { input, inputFingerprint, layout };
  } catch (err) {
    await input?.close();
    reporter.close();
    throw err;
  }
}
