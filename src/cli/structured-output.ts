import { sanitizeName } from '../util/sanitize.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';
import type { StructuredSetup } from './structured-setup.js';

/** Reads and checks --json-schema / --json (loading Ajv only then); the strictness note goes to stderr. */
export async function setUpStructured(config: CliConfig, io: CliIo): Promise<StructuredSetup | undefined> {
  if (!config.structured) return undefined;
  const { prepareStructured } = await import('./structured-setup.js');
  const setup = prepareStructured(config.structured, io.env);
  // The note names the schema's properties: shown as every message is (escape sequences as `�`).
  if (setup.note && !config.quiet) io.stderr.write(`llm-batch: ${sanitizeName(setup.note)}\n`);
  return setup;
}
