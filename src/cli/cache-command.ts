import fs from 'node:fs';
import { sanitizeName } from '../util/sanitize.js';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ExitCode, RunError } from '../errors.js';
import { cacheDirFlagProblem, cacheDirSource, NoHomeError, resolveCacheDir } from '../cache/cache-dir.js';
import { dirProblem, pathProblem } from './path-problem.js';
import { cacheClearHint } from './cache-clear-hint.js';
import { LEGACY_STORE_FILE, STORE_FILE } from '../cache/store-files.js';
import { DamagedStoreError, inspectStoreFile } from '../cache/store-file-check.js';
import { removeStore } from '../cache/remove-store.js';
import { commitProblem, isDamagedStoreError, isLmdbError, isStoreFailure } from '../cache/lmdb-failures.js';
import { RemovalFailedError } from '../cache/remove-in-batches.js';
import { tolerateRejection } from '../util/tolerate-rejection.js';
import { storeInUse } from '../cache/store-in-use.js';
import { PROBE_ENV, probeStore, StorePagesDamagedError, StoreUncheckedError } from '../cache/store-probe.js';
import type { CacheStats, StoreOpenOptions } from '../cache/response-store.js';
import { count } from '../ui/number-format.js';
import { counted } from '../util/group-digits.js';
import type { CliIo } from './io.js';
import { positiveNumber } from './parse-flags.js';
import { onIo, parseArgv } from './commander-io.js';
import { addHelpSections, styleHelp } from './help-style.js';

const DAY_MS = 86_400_000;

/** MB with one decimal; below 0.1 MB in kB, so a small cache does not read as empty ("0.0 MB"). */
function diskSize(bytes: number): string {
  return bytes >= 1e5 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
}

function dateOf(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Whether `dir` holds a store file, current or legacy: the directory alone may be only the compile cache's. */
const storeFileIn = (dir: string): boolean => [STORE_FILE, LEGACY_STORE_FILE].some((name) => fs.existsSync(path.join(dir, name)));

/** A subcommand's usage error points at its own help, which has its flags (commander would inherit `cache --help`). */
const subcommandHint = (name: string) => `(run llm-batch cache ${name} --help for usage)`;

/**
 * `llm-batch cache stats | clear | prune --older-than DAYS`. Its own small program: the run's
 * command line takes a prompts file as its argument and should not learn about subcommands.
 * `stats` prints to stdout (it is the data asked for); `clear` and `prune` report on stderr.
 */
export async function runCacheCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let action: (() => Promise<number>) | undefined;
  // On the CLI's streams before the subcommands are added: they inherit it when created.
  const program = onIo(
    new Command('llm-batch cache')
      .description('Inspect or empty the response cache shared by every run on this machine.')
      .option('--cache-dir <dir>', 'cache directory (default $LLM_BATCH_CACHE_DIR, else the user cache dir)')
      .helpCommand('help [command]', "show this help, or a command's: help stats"),
    io,
  ).showHelpAfterError('(run llm-batch cache --help for usage)');
  // Before the commands are added: they inherit the help flag's wording.
  styleHelp(program, ['llm-batch cache stats', 'llm-batch cache prune --older-than 30', 'llm-batch cache clear --cache-dir /tmp/llm-batch-cache']);
  const dirOf = () => {
    try {
      return resolveCacheDir(program.opts<{ cacheDir?: string }>().cacheDir, io.env);
    } catch (err) {
      if (err instanceof NoHomeError) throw new RunError(`${err.message}: pass --cache-dir, or set LLM_BATCH_CACHE_DIR or XDG_CACHE_HOME`, 'usage');
      throw err;
    }
  };
  /** The first store file that LMDB must not open, with what is wrong with it. */
  const damaged = () => {
    for (const name of [STORE_FILE, LEGACY_STORE_FILE]) {
      const file = path.join(dirOf(), name);
      const state = inspectStoreFile(file);
      if (state.kind === 'damaged') return { file, why: state.why };
    }
    return undefined;
  };
  const clearHint = () => {
    const flag = program.opts<{ cacheDir?: string }>().cacheDir;
    return cacheClearHint(flag);
  };
  /**
   * clear and prune of a directory that is not there: nothing to do, said so (unless `quiet`), and
   * the exit code; undefined when it is there. One chosen (--cache-dir, LLM_BATCH_CACHE_DIR) is a
   * usage error: a typo in cron would read as success. The default one is a cache not made yet.
   */
  const missingDir = (command: string, quiet: boolean | undefined): number | undefined => {
    const dir = dirOf();
    if (fs.existsSync(dir)) return undefined;
    const chosen =
      program.opts<{ cacheDir?: string }>().cacheDir !== undefined ? '--cache-dir' : io.env.LLM_BATCH_CACHE_DIR?.trim() ? 'LLM_BATCH_CACHE_DIR' : undefined;
    if (chosen !== undefined) throw new RunError(`cache ${command}: ${chosen} ${dir}: no such directory (nothing removed)`, 'usage');
    if (!quiet) io.stderr.write(`llm-batch: no response cache at ${dir} (the directory does not exist): nothing removed\n`);
    return ExitCode.ok;
  };
  /**
   * `readOnly` for stats: it neither waits for a writer's lock nor writes the file (see openDatabase).
   * `check`: whether the store is read whole in a child process first (see StoreOpenOptions).
   */
  const open = async (readOnly: boolean, check: StoreOpenOptions['check']) => {
    const dir = dirOf();
    if (!fs.existsSync(dir)) return undefined;
    const { openResponseStore } = await import('../cache/response-store.js');
    // As a run's (open-cache.ts): what a failed commit may leave unhandled ends no prune or clear.
    tolerateRejection(isStoreFailure);
    try {
      return await openResponseStore(dir, { readOnly, check });
    } catch (err) {
      // LMDB would crash on it, and the store refuses to open it: stats reports it before opening,
      // prune refuses, clear never opens.
      if (err instanceof DamagedStoreError) throw new RunError(`${err.message}: ${clearHint()}`, 'usage');
      throw err;
    }
  };
  const statsCommand = program
    .command('stats')
    .showHelpAfterError(subcommandHint('stats'))
    .summary('entries, size on disk, oldest and newest answer')
    .description("Show the cache's entries, its size on disk, and its oldest and newest answer (on stdout).")
    .option('--json', 'as one JSON object')
    .action((opts: { json?: boolean }) => {
      action = async () => {
        const sayDamaged = (bad: { file: string; why: string }) => {
          const bytesOnDisk = fs.statSync(bad.file).size;
          if (opts.json)
            io.stdout.write(`${JSON.stringify({ path: bad.file, exists: true, damaged: bad.why, entries: null, bytesOnDisk, oldest: null, newest: null })}\n`);
          else io.stdout.write(`${bad.file}\ndamaged (${bad.why}): ${clearHint()}\n`);
          return ExitCode.ok;
        };
        const sayStats = (s: CacheStats) => {
          // `exists` on every answer, not only the missing directory's: a script reads it as a boolean.
          if (opts.json)
            io.stdout.write(
              `${JSON.stringify({ path: s.path, exists: true, entries: s.entries, bytesOnDisk: s.bytesOnDisk, oldest: s.oldest, newest: s.newest })}\n`,
            );
          else {
            const answers = `${count(s.entries)} ${s.entries === 1 ? 'answer' : 'answers'}`;
            io.stdout.write(
              `${sanitizeName(s.path)}\n${answers} · ${diskSize(s.bytesOnDisk)} on disk · oldest ${dateOf(s.oldest)} · newest ${dateOf(s.newest)}\n`,
            );
          }
          return ExitCode.ok;
        };
        const bad = fs.existsSync(dirOf()) ? damaged() : undefined;
        if (bad) return sayDamaged(bad);
        const held = storeFileIn(dirOf());
        // Read in a child process (unless this is that child): a damaged page may crash LMDB.
        const verdict = held && io.env[PROBE_ENV] !== '1' ? probeStore(dirOf()) : undefined;
        if (verdict && 'damaged' in verdict) return sayDamaged({ file: verdict.file ?? path.join(dirOf(), STORE_FILE), why: verdict.damaged });
        if (verdict && 'sound' in verdict) return sayStats(verdict.sound);
        // Killed for want of memory or threads, or stopped: reading it here would end the same way.
        if (verdict && 'died' in verdict)
          throw new RunError(`cache stats: cache file ${path.join(dirOf(), STORE_FILE)} could not be read (${verdict.unknown})`, 'usage');
        // A directory with no store file holds no cache (the code caches make the directory before
        // any answer is stored: src/cli/load-cli.ts): say so, not "0 answers" as if one were empty.
        const store = held ? await open(true, 'never') : undefined;
        if (!store) {
          if (opts.json)
            io.stdout.write(`${JSON.stringify({ path: `${dirOf()}/${STORE_FILE}`, exists: false, entries: 0, bytesOnDisk: 0, oldest: null, newest: null })}\n`);
          else
            io.stdout.write(
              `${sanitizeName(dirOf())}\nno response cache there: ${fs.existsSync(dirOf()) ? 'no answer has been stored in the directory yet' : 'the directory does not exist'}\n`,
            );
          return ExitCode.ok;
        }
        let s: ReturnType<typeof store.stats>;
        try {
          s = store.stats();
        } catch (err) {
          // Damage past the header, which only reading the pages finds (see isDamagedStoreError). A
          // read-only walk has no writer to fail with: any of LMDB's errors in it is the file's
          // (MDB_BAD_TXN "Invalid dupdata flag" on a page overwritten in place).
          if (!isLmdbError(err) && !(err instanceof DamagedStoreError)) throw err;
          await store.close().catch(() => {});
          return sayDamaged(err instanceof DamagedStoreError ? err : { file: store.path, why: err.message });
        }
        await store.close();
        return sayStats(s);
      };
    });
  addHelpSections(statsCommand, '\nExamples:\n  $ llm-batch cache stats\n  $ llm-batch cache stats --json | jq .entries\n');
  const clearCommand = program
    .command('clear')
    .showHelpAfterError(subcommandHint('clear'))
    .summary('delete every cached answer (removes the cache files, even damaged ones)')
    .description('Delete every cached answer: the cache files are removed, damaged ones too.')
    .option('-q, --quiet', 'print nothing unless something fails')
    .action((opts: { quiet?: boolean }) => {
      action = async () => {
        const missing = missingDir('clear', opts.quiet);
        if (missing !== undefined) return missing;
        const say = (line: string) => opts.quiet || io.stderr.write(line);
        // The directory is there (missingDir).
        const dir = dirOf();
        const locks = [STORE_FILE, LEGACY_STORE_FILE].map((name) => path.join(dir, `${name}-lock`));
        const inUse = storeInUse(locks);
        const bad = damaged();
        // A damaged file cannot be opened (LMDB would crash on it), only removed; but a run may have
        // opened it before it looked damaged, and removed under that run, the file would take its
        // later answers where no run finds them. Where the lock table cannot tell, it is removed.
        if (bad && inUse === true)
          throw new RunError(
            `cache clear: a run has ${bad.file} open, so it is not removed while it does (it looks damaged: ${bad.why}); once that run has ended, ${clearHint()}`,
            'usage',
          );
        // A run that has the file open would go on caching into a deleted file: empty it in place then.
        if (!bad && inUse !== false) {
          const store = await open(false, 'if-needed');
          const answers = store ? await removedOrSaid(store.clear(), 'clear') : 0;
          await store?.close();
          say(
            `llm-batch: removed ${counted(answers, 'cached answer')} from ${dir} (emptied in place, as a run may have it open: the file keeps its size and later answers reuse it)\n`,
          );
          return ExitCode.ok;
        }
        const removed = removeStore(dir);
        for (const { file, why } of removed.damaged) say(`llm-batch: removed the damaged cache file ${file} (${why})\n`);
        if (removed.damaged.length === 0 || removed.answers > 0) say(`llm-batch: removed ${counted(removed.answers, 'cached answer')} from ${dir}\n`);
        return ExitCode.ok;
      };
    });
  addHelpSections(clearCommand, '\nExamples:\n  $ llm-batch cache clear\n  $ llm-batch cache clear --cache-dir /tmp/llm-batch-cache\n');
  const pruneCommand = program
    .command('prune')
    .showHelpAfterError(subcommandHint('prune'))
    .summary('delete answers stored more than DAYS days ago')
    .description('Delete the answers stored more than DAYS days ago; the rest stay.')
    .requiredOption('--older-than <days>', 'age in days (fractions allowed: 0.5 is twelve hours)', olderThanDays)
    .option('-q, --quiet', 'print nothing unless something fails')
    .action((opts: { olderThan: number; quiet?: boolean }) => {
      action = async () => {
        const older = `older than ${opts.olderThan} ${opts.olderThan === 1 ? 'day' : 'days'}`;
        const missing = missingDir('prune', opts.quiet);
        if (missing !== undefined) return missing;
        // No store file, nothing to prune: none is made for it (where there is no room, one could not be).
        // Read whole in a child process first: a damaged page may crash LMDB, and a prune reads every entry.
        const store = storeFileIn(dirOf()) ? await open(false, 'always') : undefined;
        const removed = store ? await removedOrSaid(store.prune(Date.now() - opts.olderThan * DAY_MS), 'prune', older) : 0;
        await store?.close();
        if (!opts.quiet) io.stderr.write(`llm-batch: removed ${counted(removed, 'cached answer')} ${older} from ${dirOf()}\n`);
        return ExitCode.ok;
      };
    });
  addHelpSections(pruneCommand, '\nExamples:\n  $ llm-batch cache prune --older-than 30\n  $ llm-batch cache prune --older-than 0.5   # twelve hours\n');
  // The help, then the error's own line, as every error ends (README: Exit codes).
  const noCommand = () => {
    program.outputHelp({ error: true });
    io.stderr.write('llm-batch: cache needs a command: stats, clear or prune\n');
    return ExitCode.usage;
  };
  if (argv.length === 0) return noCommand();
  const parsed = parseArgv(program, argv);
  if (parsed !== undefined) return parsed;
  if (!action) {
    return noCommand();
  }
  // A directory that cannot be looked up is not one without a cache: said as a run's paths are, exit 2.
  const flag = program.opts<{ cacheDir?: string }>().cacheDir;
  const empty = cacheDirFlagProblem(flag);
  if (empty) throw new RunError(empty, 'usage');
  const problem = dirProblem(dirOf());
  if (problem) throw new RunError(`${cacheDirSource(flag, io.env) ?? 'the response cache'} ${dirOf()}: ${problem}`, 'usage');
  try {
    return await action();
  } catch (err) {
    if (err instanceof RunError) throw err;
    // Damage past the header, which only reading the pages finds: the way out named, as for a
    // damaged header.
    const damage = isDamagedStoreError(err) ? err : err instanceof RemovalFailedError && isDamagedStoreError(err.cause) ? err.cause : undefined;
    if (err instanceof StoreUncheckedError)
      throw new RunError(`cache ${program.args[0] ?? ''}: cache file ${err.file} could not be checked (${err.why}); nothing was changed`, 'usage');
    const found =
      err instanceof StorePagesDamagedError ? { file: err.file, why: err.why } : damage && { file: path.join(dirOf(), STORE_FILE), why: damage.message };
    if (found) throw new RunError(`cache ${program.args[0] ?? ''}: cache file ${found.file} looks damaged (${found.why}): ${cacheClearHint(flag)}`, 'usage');
    // Named as the run's paths are: `cache clear: DIR/answers-v2.lmdb: permission denied`.
    const e = err as NodeJS.ErrnoException;
    const why = e.code ? `${e.path ?? dirOf()}: ${pathProblem(err)}` : e.message;
    throw new RunError(`cache ${program.args[0] ?? ''}: ${why}`, 'usage');
  }
}

/**
 * What a prune or an in-place clear removed, or, when a commit failed (a full disk, `ulimit -f`), one
 * line naming the file and what stayed removed: each transaction committed before it is kept.
 */
async function removedOrSaid(removal: Promise<number>, command: 'prune' | 'clear', which = ''): Promise<number> {
  try {
    return await removal;
  } catch (err) {
    if (!(err instanceof RemovalFailedError)) throw err;
    const before = `${counted(err.removed, 'cached answer')}${which ? ` ${which}` : ''} removed before it failed`;
    throw new RunError(`cache ${command}: ${err.file}: ${commitProblem(err.cause)} (${before}; the rest stay)`, 'usage');
  }
}

/** `--older-than`: a positive number of days; 0, every answer, is what `cache clear` is for. */
function olderThanDays(value: string): number {
  if (/^(0+(\.0*)?|\.0+)$/.test(value)) throw new InvalidArgumentError('0 days would remove every answer: that is llm-batch cache clear.');
  return positiveNumber(value);
}
