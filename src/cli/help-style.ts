import type { Command } from 'commander';

/**
 * One way for every command's help to read, as the run's own: what the command does in a sentence
 * (`.description`), each flag and argument as a phrase, `-h, --help  show this help` (Commander's
 * default says "display help for command"), the version only on the main program, and an Examples
 * section of command lines at the end.
 */
export function styleHelp(command: Command, examples: readonly string[] = []): Command {
  command.helpOption('-h, --help', 'show this help');
  if (examples.length > 0) command.addHelpText('after', `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`);
  return command;
}
