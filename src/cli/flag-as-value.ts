import type { Command, Option } from 'commander';
import { ExitCode } from '../errors.js';

/** commander's help flags, which every command of ours keeps (they are not among its `options`). */
const HELP_FLAGS: ReadonlySet<string> = new Set(['-h', '--help']);

const guarded = new WeakSet<Command>();

/**
 * commander gives an option that takes a value the next argument, whatever it is: `--stop -q` sent
 * "-q" as the stop sequence and the run was not quiet, and `--stop -o out.jsonl` read out.jsonl as the
 * input, not a word said. A value that is one of the command's own flags (`-o`, `-qo`, `-oout.jsonl`,
 * `--overwrite`, `--output=x.jsonl`, `--help`) is refused as a missing value (exit 2, a usage error).
 * Any other value that starts with a dash is taken as before (`--stop ---`, `--stop -`, `--seed -1`,
 * `-o -`), and so is a flag meant as the value, written with `=`: `--stop=-o`. Subcommands, added
 * after this is called, are guarded when parsing reaches them.
 */
export function refuseFlagsAsValues(command: Command): Command {
  if (guarded.has(command)) return command;
  guarded.add(command);
  const parseOptions = command.parseOptions.bind(command);
  command.parseOptions = (args) => {
    for (const sub of command.commands) refuseFlagsAsValues(sub);
    const taken = flagTakenAsValue(command, args);
    if (taken) {
      const { option, value } = taken;
      const written = shellWord(option.long ? `${option.long}=${value}` : `${option.short}${value}`);
      command.error(`error: option '${option.flags}' argument missing: ${value} is a flag, not its value (for the value ${value} itself, write ${written})`, {
        exitCode: ExitCode.usage,
        code: 'commander.optionMissingArgument',
      });
    }
    return parseOptions(args);
  };
  return command;
}

/**
 * The first option that would take one of the command's flags as its value, walking `args` as
 * commander does. Past a subcommand's name its flags count too: commander lets `cache stats
 * --cache-dir --json` give `cache`'s option after `stats`, and `--json` is `stats`'s.
 */
function flagTakenAsValue(command: Command, args: readonly string[]): { option: Option; value: string } | undefined {
  const commands = [command];
  const find = (flag: string) => {
    for (const c of commands) {
      const option = c.options.find((o) => o.short === flag || o.long === flag);
      if (option) return option;
    }
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined; // operands from here on
    const sub = commands.length === 1 ? command.commands.find((c) => c.name() === arg || c.aliases().includes(arg)) : undefined;
    if (sub) commands.push(sub);
    const option = find(arg) ?? lastOfGroup(arg, find);
    if (!option?.required) continue;
    const value = args[++i];
    // A subcommand's own option is the subcommand's to refuse, as its parse comes to it.
    if (value !== undefined && command.options.includes(option) && isFlag(value, find)) return { option, value };
  }
  return undefined;
}

/**
 * Whether `arg`, where an option's value goes, is one of the commands' flags as commander would read
 * it in a flag's place: a flag's name, `--name=value`, the help flags, or a short flag with more
 * after it (`-qo`, `-oout.jsonl`: flags run together, or a value joined to its flag).
 */
function isFlag(arg: string, find: (flag: string) => Option | undefined): boolean {
  if (HELP_FLAGS.has(arg)) return true;
  if (arg.startsWith('--')) {
    const eq = arg.indexOf('=');
    return arg.length > 2 && find(eq === -1 ? arg : arg.slice(0, eq)) !== undefined;
  }
  // A text with a space in it was never meant as flags: `--system "-v is verbose"`.
  return /^-[^-\s]\S*$/.test(arg) && shortFlags(arg, find) !== undefined;
}

/**
 * `-qo`: short flags run together, the last of which takes the next argument as its value (one
 * before the last that takes a value has it attached: `-ofile`, `-qofile`).
 */
function lastOfGroup(arg: string, find: (flag: string) => Option | undefined): Option | undefined {
  if (!/^-[^-]{2,}$/.test(arg)) return undefined;
  const group = shortFlags(arg, find);
  return group?.joined === false ? group.takesValue : undefined;
}

/**
 * `-qo`, `-oout.jsonl` as commander reads it in a flag's place: each letter one of ours up to the
 * first that takes a value (`takesValue`), the rest of the word that one's value (`joined`).
 * Undefined when a letter is none of ours.
 */
function shortFlags(arg: string, find: (flag: string) => Option | undefined): { takesValue?: Option; joined: boolean } | undefined {
  for (let j = 1; j < arg.length; j++) {
    const option = find(`-${arg[j]}`);
    if (!option) return undefined;
    if (option.required || option.optional) return { takesValue: option, joined: j < arg.length - 1 };
  }
  return { joined: false };
}

/** `word` as a shell reads it back whole: quoted when it holds anything but the plainest characters. */
const shellWord = (word: string): string => (/^[\w./:=,@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);
