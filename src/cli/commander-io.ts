import { type Command, CommanderError } from 'commander';
import { ExitCode } from '../errors.js';
import { createRedactor } from '../redact.js';
import type { CliIo } from './io.js';

/**
 * Help and parse errors go to the CLI's own streams, and commander never exits the process. A parse
 * error repeats the argument it refused (`--base-url 'sk-…@host'`): the key is redacted from it.
 */
export function onIo(program: Command, io: CliIo): Command {
  const redact = createRedactor([io.env.OPENAI_API_KEY?.trim()]);
  return program.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(redact(s)) });
}

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
