import fs from 'node:fs';
import {
  batchList,
  chunkDir,
  DAMAGED_KEPT,
  isEmptyState,
  manifestPath,
  openChunks,
  readManifest,
  readManifestAsWritten,
  uncollectedBatches,
  uploadedFiles,
  writeManifest,
  type Manifest,
} from '../batch/manifest.js';
import { errorMessage } from '../util/error-message.js';
import { dropUnsubmitted } from '../batch/drop-unsubmitted.js';
import type { UncollectedBatches } from '../report/report-data.js';
import { RunError } from '../errors.js';
import type { CliConfig } from './config.js';
import { shellQuote } from './shell-quote.js';
import { checkWritableFile } from './check-writable.js';
import { batchesOfMock } from './mock-run.js';
import { counted } from '../util/group-digits.js';

export { batchList, uncollectedBatches } from '../batch/manifest.js';

/**
 * An output's batches not collected, by what can be done about them, from their counts: `onServer`
 * (created, or maybe: see `submitted`) and `unsubmitted` (built only). `mock`: the output's run was a
 * --mock one, whose batches ended with its process: with one of them gone a --resume is refused
 * (see lostMockBatchesMessage), and every open batch waits for --overwrite.
 */
export function uncollectedCounts(onServer: number, unsubmitted: number, mock: boolean): UncollectedBatches {
  if (mock && onServer > 0) return { pending: 0, unsubmitted: 0, gone: onServer + unsubmitted };
  return { pending: onServer, unsubmitted, gone: 0 };
}

/** The same from a manifest. */
export function uncollectedOf(manifest: Manifest, mock: boolean): UncollectedBatches {
  const open = openChunks(manifest);
  return uncollectedCounts(open.submitted.length, open.unsubmitted.length, mock);
}

/** The batch state of a live run's output as it was judged. */
export interface SeenBatchState {
  /** What the judgement rests on ({@link stateSignature}); undefined: no state. */
  signature: string | undefined;
  /** The state's run key when its batches are a --mock run's, gone with it: the run drops them. */
  mockRunKey: string | undefined;
}

/** Which batches are out, of which kind, in which state (its run key). */
const stateSignature = (manifest: Manifest | undefined): string | undefined =>
  manifest && JSON.stringify([manifest.runKey, manifest.mock ?? null, uncollectedBatches(manifest)]);

/**
 * A live run into an output whose batches are still on the server (a `--resume`, an `--overwrite`,
 * or a plain run while the output has no row yet: `--no-wait` leaves it empty) would send their
 * prompts again at the full price while the half-price batches run on, and leave them uncollected.
 * Refused before anything is sent (exit 2), naming the batches and the ways on.
 *
 * When the batches it lists are an earlier --mock run's, which ended with its process, nothing is
 * paid twice: the run drops them once it holds the output (see dropUnsubmittedBatches), if the state
 * is still the one seen here, which is returned.
 */
export function refuseLiveOverPendingBatches(config: CliConfig): SeenBatchState {
  const none = { signature: undefined, mockRunKey: undefined };
  if (config.output.kind !== 'file') return none;
  const output = config.output.path;
  // A plain run looks only at a state file that is there: an -o it cannot reach (through a file, a
  // name too long, no descriptor left) is the output's open to say, in its own words.
  if (!config.resume && !config.overwrite && !isThere(manifestPath(output))) return none;
  let manifest: Manifest | undefined;
  try {
    manifest = readManifest(output);
  } catch (err) {
    // An -o out of reach (a folder this user cannot enter, a path through a file) is the output's
    // trouble, said as the output's open says it, not as a state file's.
    checkWritableFile(output, '--output', 'direct');
    if (config.resume || config.overwrite || !(err instanceof RunError)) throw err;
    // It may list batches on the server, which this run would pay for again; and its own --resume
    // would be refused by it afterwards, the rows it wrote stuck behind it.
    // Its cause kept (a permission to restore is no file to delete), less the damaged one's claim.
    const cause = err.message.endsWith(DAMAGED_KEPT) ? err.message.slice(0, -DAMAGED_KEPT.length) : err.message;
    throw new RunError(
      `${cause}: this batch state of an earlier --batch-api run into ${output} may list batches still on the server, whose prompts a live run would send again and pay twice; ` +
        `if none of its batches is running, delete it (or make it readable) and run again`,
      'output',
    );
  }
  if (!manifest) return none;
  const ids = uncollectedBatches(manifest);
  if (ids.length === 0) return { signature: stateSignature(manifest), mockRunKey: undefined };
  // An earlier --mock run's batches are on no server: nothing would be paid twice.
  if (batchesOfMock(output, manifest)) return { signature: stateSignature(manifest), mockRunKey: manifest.runKey };
  const n = ids.length === 1 ? 'batch' : 'batches';
  throw new RunError(
    `${manifestPath(output)} lists ${ids.length} ${n} of an earlier --batch-api run not collected yet (${batchList(ids)}): ` +
      `a live ${config.resume ? '--resume' : config.overwrite ? '--overwrite' : 'run'} would send ${ids.length === 1 ? 'its' : 'their'} prompts again and pay twice; ` +
      `collect ${ids.length === 1 ? 'it' : 'them'} with --batch-api --resume, or cancel ${ids.length === 1 ? 'it' : 'them'} with \`llm-batch cancel ${shellQuote(output)}\` first`,
    'output',
  );
}

/**
 * A live run about to send, over an output whose --batch-api run built batches it never submitted:
 * this run sends their prompts (those without a row), so they are dropped (see dropUnsubmitted),
 * and a later --batch-api --resume does not pay for them again. Said in one line.
 */
export function dropUnsubmittedBatches(config: CliConfig, say: (line: string) => void, seen: SeenBatchState): void {
  // No state, nothing to drop: not even opened (a run short of descriptors says so where it sends).
  if (config.output.kind !== 'file' || !isThere(manifestPath(config.output.path))) return;
  // State that cannot be read was refused before the run began (refuseLiveOverPendingBatches). State
  // another run changed since (a --batch-api run that took the output, or submitted its built
  // batches, while this one waited for stdin) is judged again, now that this run holds the output.
  // (Read once: with this run holding the output, no other run changes it.)
  const manifest = readManifest(config.output.path);
  if (stateSignature(manifest) !== seen.signature) seen = refuseLiveOverPendingBatches(config);
  const dropped = dropUnsubmitted(config.output.path, !config.resume, seen.mockRunKey, manifest);
  if (!dropped) return;
  const what = `${counted(dropped.batches, 'batch', 'batches')} (${counted(dropped.requests, 'request')}) ${
    dropped.gone ? 'of an earlier --mock --batch-api run, which ended with its process' : 'an earlier --batch-api run built and never submitted'
  }`;
  // A live run has no Batch API client to delete them with; nothing else names them.
  say(
    `${config.resume ? `dropping ${what}: this run sends the prompts without a row` : `abandoning ${what}${config.overwrite ? ' (--overwrite)' : ''}`}${filesLeft(dropped.files, true)}`,
  );
}

/** `; its request file F stays on the server, …`: request files uploaded for batches dropped, which nothing else names. */
function filesLeft(files: readonly string[], their: boolean): string {
  if (files.length === 0) return '';
  const one = files.length === 1;
  const [file, stays, it, they] = one
    ? [`${their ? 'its' : 'the'} request file`, 'stays', 'it', 'it']
    : [`${their ? 'their' : 'the'} request files`, 'stay', 'them', 'they'];
  return `; ${file} ${files.join(', ')} ${stays} on the server, holding the prompts: delete ${it} there if ${they} should not`;
}

/**
 * An --overwrite that ended with the old results in place (stopped, or refused, before it asked for
 * a batch or wrote a row; a --mock run's, whose batches ended with it): its plan, kept beside the
 * state of the run whose results they are (Manifest.overwriting), goes, and that state stands alone
 * again (the empty one made for a run that had none goes too); request files the plan uploaded are
 * named. Its prompts, kept beside the old record, were taken by the old run's --resume for its own
 * and paid for into the old file; the same command, which the run's hint names, plans again.
 * Returns whether the run's plan is gone (or was never saved).
 */
export function settleKeptResults(output: string, say: (line: string) => void): boolean {
  let manifest: Manifest | undefined;
  try {
    manifest = readManifestAsWritten(output);
  } catch {
    return false;
  }
  if (manifest && !manifest.overwriting) return false;
  fs.rmSync(chunkDir(output), { recursive: true, force: true });
  if (!manifest?.overwriting) return true;
  const { overwriting: plan, ...holder } = manifest;
  try {
    // The empty state made for results whose run had none goes.
    if (!isEmptyState(holder)) writeManifest(output, holder);
    else fs.rmSync(manifestPath(output), { force: true });
  } catch (err) {
    say(`${manifestPath(output)} still holds this run's plan beside the earlier run's batch state (${errorMessage(err)}); every reader takes the earlier one`);
  }
  // A --mock run's files were on the mock.
  const files = plan.mock ? [] : uploadedFiles(openChunks(plan).unsubmitted);
  if (files.length > 0) say(`the run's batch plan is removed with the old results kept${filesLeft(files, false)}`);
  return true;
}

/**
 * The line `merge` writes, even under -q, for a shard whose --batch-api run has batches not
 * collected yet (`--no-wait`): their rows are not in the file, and an exit 0 told a cron job the
 * merge was whole. Also when the batch state cannot be read (whether batches are out is unknown),
 * and for a --mock run's batches, which no one can collect. Undefined when there are none.
 */
export function uncollectedNote(file: string): string | undefined {
  let manifest: Manifest | undefined;
  try {
    manifest = readManifest(file);
  } catch {
    // Its run's --resume or `status` says what is wrong with it.
    return `llm-batch: ${manifestPath(file)} cannot be read as a batch manifest: whether batches of ${file} are still out is unknown; the merge covers the rows the file has\n`;
  }
  if (!manifest) return undefined;
  const { pending, unsubmitted, gone } = uncollectedOf(manifest, batchesOfMock(file, manifest));
  if (gone > 0) {
    return `llm-batch: ${manifestPath(file)} lists ${counted(gone, 'batch', 'batches')} of ${file} that its --mock run never collected, and no one can: the merge covers the rows the file has\n`;
  }
  const n = pending + unsubmitted;
  if (n === 0) return undefined;
  return `llm-batch: ${manifestPath(file)} lists ${counted(n, 'batch', 'batches')} of ${file} not collected yet: the merge covers the rows collected so far; collect ${n === 1 ? 'it' : 'them'} with that run's command and --resume\n`;
}

/** Something at `file` (a directory in its place too, which the read then names); false when it cannot be looked up. */
function isThere(file: string): boolean {
  try {
    return fs.statSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}
