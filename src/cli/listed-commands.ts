import { Command, Help } from 'commander';
import { ExitCode } from '../errors.js';
import { onIo, parseArgv } from './commander-io.js';
import type { CliIo } from './io.js';

/**
 * The subcommands, for `--help` to list. Each has a program of its own, loaded only when it runs
 * (main.ts picks it by the first argument), so these entries describe and never parse.
 */
const LISTED: ReadonlyArray<readonly [name: string, argument: string, description: string]> = [
  ['report', '<results>', 'a self-contained HTML report of a results file'],
  ['merge', '<outputs...>', 'join the outputs of --shard runs into one file'],
  ['status', '<output>', 'one line per batch of a --batch-api output'],
  ['cancel', '<output>', "cancel a --batch-api output's pending batches"],
  ['cache', '<stats|clear|prune>', 'inspect or empty the response cache'],
];

/** The names main.ts dispatches on; an input file named like one is given as `./name`. */
export const SUBCOMMAND_NAMES: ReadonlySet<string> = new Set(LISTED.map(([name]) => name));

/**
 * Adds a Commands section to the program's help, and `llm-batch help [command]`: `help` is a command,
 * not an input file (a file named help is `./help`).
 */
export function listCommands(program: Command): Command {
  const listed = LISTED.map(([name, argument, description]) => new Command(name).argument(argument).description(description));
  return program.helpCommand('help [command]', "show this help, or a command's: help report").configureHelp({
    visibleCommands(this: Help, cmd: Command): Command[] {
      return [...listed, ...Help.prototype.visibleCommands.call(this, cmd)];
    },
  });
}

/** `help --foo`: help takes a command's name, and no option but -h; said as any unknown option is (exit 2). */
export function refuseHelpOption(option: string, io: CliIo): number {
  return parseArgv(onIo(new Command('llm-batch help'), io).showHelpAfterError('(run llm-batch --help for usage)'), [option]) ?? ExitCode.usage;
}

/**
 * `llm-batch help NAME` for a NAME that is no command: commander's own refusal, as `cache nosuch`
 * gets (`error: unknown command 'NAME'`, its "Did you mean" for a near name, the usage hint), exit 2.
 * Left to the main program, commander printed the whole help on stderr without naming the mistake.
 */
export function refuseUnknownCommand(name: string, io: CliIo): number {
  const commands = onIo(new Command('llm-batch'), io).showHelpAfterError('(run llm-batch --help for usage)');
  for (const [command] of LISTED) commands.command(command);
  return parseArgv(commands, [name]) ?? ExitCode.usage;
}
