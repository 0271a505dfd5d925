import { type Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { createRedactor } from '../redact.js';
import type { CliIo } from './io.js';
import { maskedBaseUrl } from './masked-base-url.js';

/**
 * Help and parse errors go to the CLI's own streams, and commander never exits the process. A parse
 * error repeats the argument it refused (`--base-url 'sk-…@host'`): the key is redacted from it, and
 * a --base-url is masked as OPENAI_BASE_URL's refusal masks it.
 */
export function onIo(program: Command, io: CliIo): Command {
  const apiKey = io.env.OPENAI_API_KEY?.trim();
  const redact = createRedactor([apiKey]);
  const shown = (s: string) =>
    redact(s.replace(BASE_URL_REFUSED, (_, before: string, url: string, after: string) => before + maskedBaseUrl(url, apiKey) + after));
  return program.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(shown(s)) });
}

/** commander's refusal of a --base-url value (no http(s) URL): `option '--base-url <url>' argument 'VALUE' is invalid.` */
const BASE_URL_REFUSED = /(option '--base-url[^']*' argument ')(.*)(' is invalid\.)/s;

const SHOWN_HELP_OR_VERSION = new Set(['commander.helpDisplayed', 'commander.version', 'commander.help']);

/**
 * Parses `argv`: undefined when the command goes on, else the exit code it ends with (0 after help
 * or --version, 2 after a parse error commander has already printed).
 */
export function parseArgv(program: Command, argv: readonly string[]): number | undefined {
  try {
    program.parse([...argv], { from: 'user' });
    return undefined;
  } catch (err) {
    // Help shown for a mistake (`llm-batch cache` without its command) is still a usage error.
    if (err instanceof CommanderError) return SHOWN_HELP_OR_VERSION.has(err.code) && err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    throw err;
  }
}
