import fs from 'node:fs';
import { createRequire } from 'node:module';
import { CommanderError } from 'commander';
import { ExitCode, RunError } from '../errors.js';
import { resolveCliConfig, type CliConfig } from './config.js';
import { ignoredWithCompact, refuseDryRunWithCompact } from './compact-flags.js';
import { createProgram, type RawFlags } from './program.js';
import { takeProgressInput } from './progress-input.js';
import { keepBytecode, tuneHeap } from './tune-heap.js';
import { csvEscapeIgnored } from './csv-escape-note.js';
import { tuneWasm } from './tune-wasm.js';
import { onIo, parseArgv } from './commander-io.js';
import { refuseHelpOption, refuseUnknownCommand, SUBCOMMAND_NAMES } from './listed-commands.js';
import type { CliIo } from './io.js';
import { withSafeMessages } from './safe-messages.js';
import { envKeyRedactor, internalErrorLine, isBug } from './internal-error.js';
import { tooFewFilesLine } from './too-few-files.js';
import { runErrorExit } from './run-error-exit.js';
import { refuseKeyInArguments } from './key-in-arguments.js';
import { sanitizeName } from '../util/sanitize.js';
import { closestWord } from '../util/closest-word.js';

/** bin/ takes the process's own IO from here: one entry, one build of the CLI (scripts/bundle.mjs). */
export { processIo } from './io.js';
export { restoreV8Flags } from '../util/v8-flags.js';

let ranBatch = false;

/**
 * Whether this process ran a batch to its end, so that the code V8 compiled for it is the code a run needs:
 * worth keeping as the CLI's whole code cache (src/cli/load-cli.ts), which V8, once it takes it, is
 * never given again. `--help`, a refusal or a `--mock` run keep the code of another path: at most a
 * partial cache, which the first such run replaces.
 */
export const codeCacheWorthy = (): boolean => ranBatch;

let makingCodeCache = false;

/** bin/'s loader says that this run may make the CLI's code cache: it keeps its bytecode (see keepBytecode). */
export const makesCodeCache = (): void => {
  makingCodeCache = true;
};

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** `llm-batch status|cancel|merge …` (an input file named like one: `./status`). */
async function runSubcommand(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const subcommands = await import('./subcommands.js');
    return await subcommands.runSubcommand(argv, withSafeMessages(io));
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    // `merge … -o - | head`: the reader leaving is no error to report, as for a run.
    if (err instanceof RunError) return runErrorExit(err, io);
    if (isBug(err)) return unexpectedError(err, io);
    const line = tooFewFilesLine(err);
    const said = envKeyRedactor(io.env)(sanitizeName(err instanceof Error ? err.message : String(err)));
    io.stderr.write(line ?? `llm-batch: ${said}\n`);
    return line ? ExitCode.usage : ExitCode.someFailed;
  }
}

/** A first argument that may start a run: not `help` or a subcommand (a file named like one is `./report`). */
const RUN_LISTENS_LATER = /^(?!(help|status|cancel|merge|report|cache)$)/;

/** Parses the arguments, then loads the heavy parts only for a real run. Returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const keyed = refuseKeyInArguments(argv, io);
  if (keyed !== undefined) {
    io.releaseHeldSignals?.();
    return keyed;
  }
  try {
    return await dispatch(argv, io);
  } catch (err) {
    // `llm-batch report …` under a low `ulimit -n` (its code could not be loaded), or a bug a
    // command let through: exit 70 and its stack without the key, not node's own print of it.
    return unexpectedError(err, io);
  }
}

/**
 * A first word that is near a command's name (`repot`, `stauts`) and names no file: a command
 * mistyped, said as `help repot` says it. Taken for an input file, it was "too many arguments" or
 * "cannot read input file repot: no such file". A file of that name is still an input.
 */
function mistypedCommand(word: string | undefined): boolean {
  if (word === undefined || word.startsWith('-') || SUBCOMMAND_NAMES.has(word) || word === 'help') return false;
  return closestWord(word, [...SUBCOMMAND_NAMES]) !== undefined && !fs.existsSync(word);
}

/** `llm-batch cache`'s commands, for `help cache NAME`. */
const CACHE_COMMANDS = new Set(['stats', 'clear', 'prune']);

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  // Only a run (below) stops on signals itself; anything else ends on one held while it loaded.
  if (argv[0] !== undefined && !RUN_LISTENS_LATER.test(argv[0])) io.releaseHeldSignals?.();
  if (argv[0] === 'help' && argv[1]) {
    // `help report` is `report --help`: each subcommand's own program holds its options; `help
    // cache stats` is `cache stats --help`, and `help cache bogus` is refused as `cache bogus` is.
    if (argv[1] === 'cache' && argv[2] !== undefined && !argv[2].startsWith('-'))
      return main(['cache', argv[2], ...(CACHE_COMMANDS.has(argv[2]) ? ['--help'] : [])], io);
    if (SUBCOMMAND_NAMES.has(argv[1])) return main([argv[1], '--help'], io);
    // `help --` (the end of options, nothing after it) is plain `help`.
    if (argv[1] === 'help' || argv[1] === '--') return main(['--help'], io);
    if (!argv[1].startsWith('-') || argv[1] === '-') return refuseUnknownCommand(argv[1], io);
    if (argv[1] !== '-h' && argv[1] !== '--help') return refuseHelpOption(argv[1], io);
  }
  if (argv[0] === 'status' || argv[0] === 'cancel' || argv[0] === 'merge') {
    // status and cancel ask through the SDK, whose fetch parses with node's own undici: its llhttp is
    // tuneWasm's concern too (merge sends nothing, and shares the branch).
    tuneWasm();
    return runSubcommand(argv, io);
  }
  if (argv[0] === 'report') {
    // A command of its own: `llm-batch report OUT`. (A prompts file named "report" is `./report`.)
    const { reportCommand } = await import('./commands.js');
    return reportCommand(argv.slice(1), withSafeMessages(io));
  }
  if (argv[0] === 'cache') return runCache(argv.slice(1), io);
  if (mistypedCommand(argv[0])) return refuseUnknownCommand(argv[0]!, io);
  const program = onIo(createProgram(version), io);
  const parsed = parseArgv(program, argv) ?? takeProgressInput(program, argv);
  if (parsed !== undefined) {
    io.releaseHeldSignals?.();
    return parsed;
  }
  try {
    const config = await resolveOrSayRefused(program.args[0], program.opts<RawFlags>(), io, argv);
    if (!config.quiet) io.stderr.write((ignoredWithCompact(program) ?? '') + (csvEscapeIgnored(config) ?? ''));
    if (config.compact || config.dryRun) io.releaseHeldSignals?.();
    const { runCommand } = await import('./commands.js');
    // After the run's code has loaded, not before: once a V8 flag changes, V8 rejects node's own code
    // cache for every builtin module loaded after it (its flag hash no longer matches the one the
    // cache was made with), and the 36 builtins a run imports (crypto, http, net, readline…) were
    // compiled from their source in every run.
    tuneWasm();
    tuneHeap();
    if (makingCodeCache) keepBytecode();
    const code = await runCommand(config, io);
    // A run that sent every prompt to an API, answered or failed: not --mock's (no HTTP client), nor
    // one refused or stopped before most of a run's code had run (the first run's cache is the one kept).
    const ran = code === ExitCode.ok || code === ExitCode.someFailed;
    ranBatch = ran && config.provider.kind === 'openai' && !config.dryRun && !config.compact;
    return code;
  } catch (err) {
    if (err instanceof RunError) return runErrorExit(err, io);
    return unexpectedError(err, io);
  }
}

/** An error no code path expected: too few descriptors to load the code (see tooFewFilesLine), else an internal error. */
function unexpectedError(err: unknown, io: CliIo): number {
  const line = tooFewFilesLine(err);
  io.stderr.write(line ?? internalErrorLine(err, io.env));
  return line ? ExitCode.usage : ExitCode.internal;
}

/** The run's settings; a refusal of them replaces an earlier --summary-json, as later refusals do. */
async function resolveOrSayRefused(inputArg: string | undefined, flags: RawFlags, io: CliIo, argv: readonly string[]): Promise<CliConfig> {
  const environment = {
    env: io.env,
    stdinIsTTY: io.stdin.isTTY === true,
    stdoutIsTTY: io.stdout.isTTY === true,
    stdoutFd: fdOf(io.stdout),
    stdinFd: fdOf(io.stdin),
  };
  try {
    refuseDryRunWithCompact(flags);
    return resolveCliConfig(inputArg, flags, environment, argv);
  } catch (err) {
    if (err instanceof RunError && flags.summaryJson !== undefined)
      (await import('./refused-flags-summary.js')).writeRefusedFlagsSummary(inputArg, flags, environment, err);
    throw err;
  }
}

/** `llm-batch cache …`: a file literally named `cache` is still read as `./cache`. */
async function runCache(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { runCacheCommand } = await import('./commands.js');
    return await runCacheCommand(argv, withSafeMessages(io));
  } catch (err) {
    if (err instanceof RunError) return runErrorExit(err, io);
    return unexpectedError(err, io);
  }
}

/** The descriptor of a process stream; undefined for a stream an embedder or a test passes in. */
function fdOf(stream: NodeJS.WritableStream | NodeJS.ReadableStream): number | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  return typeof fd === 'number' ? fd : undefined;
}
