import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { OutputWriteError, RunError } from '../errors.js';
import { makeDirs } from '../util/make-dirs.js';
import { pathProblem } from '../util/path-words.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import type { TokenPrice } from '../budget/prices.js';
import type { CsvLayout } from '../output/csv-layout.js';
import { chunkDirPath as chunkDir, manifestPath } from '../output/side-paths.js';
import { checkManifest } from './check-manifest.js';
import { isOpen, LOCAL_STATUSES } from './chunk-states.js';

export { isOpen, LOCAL_STATUSES };

/** The server's batch states, plus ours before a batch exists. */
export type ChunkStatus =
  | 'built' // request file written locally
  | 'uploaded' // files.create returned its id
  | 'token_limit' // the server refused it for the enqueued-token limit: recreated when a batch ends
  | 'validating'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'failed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

export interface RequestCounts {
  total: number;
  completed: number;
  failed: number;
}

/** One Batch API batch's worth of requests, from its local file to its collected rows. */
export interface Chunk {
  /** 1-based; a resubmitted remainder gets a new number and names its `parent`. */
  n: number;
  model: string;
  /** Request lines file, relative to the chunk folder. */
  file: string;
  lines: number;
  bytes: number;
  parent?: number;
  status: ChunkStatus;
  fileId?: string;
  /**
   * Set before batches.create is called: a crash after it means the batch may exist, so a resume
   * looks for `metadata.llm_batch_key` before creating another.
   */
  createKey?: string;
  batchId?: string;
  /** Earlier batches of this chunk that failed for the token limit. */
  previousBatchIds?: string[];
  counts?: RequestCounts;
  submittedAt?: number;
  /** Rows for every line are in the output (a remainder, if any, lives on as another chunk). */
  collected?: boolean;
  /** Lines left unanswered by an expired or cancelled batch, sent on as chunk `remainderChunk` or live. */
  remainder?: number;
  remainderChunk?: number;
  /** Why the chunk stopped, when it did not complete. */
  note?: string;
  /** --max-cost: the worst cases of its lines at the Batch price, reserved when it was planned. */
  reservedPico?: number;
  /**
   * --max-cost: the price its lines were reserved at (before the Batch discount), so that `cancel`,
   * which is given no --price or --prices, settles what it collects at the run's price.
   */
  price?: TokenPrice;
}

export interface Manifest {
  version: 1;
  /** Random, per output: batch metadata carries it, so a lookup finds only this run's batches. */
  runKey: string;
  /** Every record has been read and every chunk written: no re-planning on resume. */
  planned: boolean;
  /** Records that became rows without a request (input errors), at planning time. */
  inputErrors: number;
  chunks: Chunk[];
  /**
   * How the run's rows look beyond the defaults, for `llm-batch cancel`, which has only the output's
   * name: the CSV layout (kept fields, schema columns) and the structured-output spec (a schema file
   * stored as its text), so the answers it collects are checked and written as the run's are.
   */
  rowShape?: { csv?: CsvLayout; structured?: Record<string, unknown> };
  /**
   * --max-cost: what this output's collected batches cost at the Batch price (carried into a new plan
   * by --resume, so the cap covers every batch the output submitted); the lines the last planning
   * round admitted, and the first line it held back (with its worst case) when the cap was reached.
   */
  budget?: { spentPico: number; planned: number; held?: HeldLine };
  /**
   * When the Batch API calls began to fail without a success since (ms since the epoch): kept across
   * runs, so an hourly `--no-wait` job says so once an outage has lasted, instead of staying silent.
   */
  failingSince?: number;
  /**
   * Whether its batches went to --mock's Batch API, which is in the process that made them and ends
   * with it. Said by the manifest, not only by the output's meta: a --batch-api --overwrite of an
   * older llm-batch, stopped before its first row, left the earlier run's meta (a --mock one, say)
   * beside its own real batches. Absent in a manifest an older llm-batch wrote: the meta then speaks
   * for it.
   */
  mock?: boolean;
  /**
   * The plan of a --batch-api --overwrite that has not replaced the output's results yet, kept here
   * beside the state of the run whose results they are (this manifest's other fields, its open
   * batches closed; or an empty one). Every reader takes that run's state and leaves this alone
   * ({@link readManifest}), so a run killed before it asked for a batch or wrote a row leaves the
   * output's run its own state, and that run's --resume never takes the new input's prompts for its
   * own. The --overwrite writes its plan alone once it replaces the results.
   */
  overwriting?: Manifest;
}

/** Where a held request is in the input, as messages name it (see heldPlace). */
export type HeldPlace = Pick<HeldLine, 'id' | 'line' | 'element'>;

/** `id q7 on line 7`, or for a `.json` element `id q7 (element 2 at line 6)`. */
export const heldPlace = (held: HeldPlace): string => (held.element ? `id ${held.id} (${held.element})` : `id ${held.id} on line ${held.line}`);

/** The first request --max-cost kept from a plan: the input from it on is not submitted yet. */
export interface HeldLine {
  id: string;
  line: number;
  /** A `.json` input's element as messages name it (`element 2 at line 6`): there `line` is its position. */
  element?: string;
  worstPico: number;
}

export { chunkDir, manifestPath };

/**
 * What a damaged manifest's refusal advises (a resume, `status`, `cancel`, an --overwrite): what it
 * lists cannot be read, so nothing says its batches are not running and billing. A plain live run's
 * refusal replaces it with its own.
 */
export const DAMAGED_KEPT = ': it may list batches still on the server, so it is left as it is; if none of them is running, delete it and run again';

/**
 * The state an --overwrite's plan is kept beside when the results it has not replaced yet had none
 * (a live run's): no batch carries its run key. A kept end removes it; a run killed before that left
 * it, and the next one takes it for none.
 */
export function emptyState(): Manifest {
  return { version: 1, runKey: `${EMPTY_STATE}${randomUUID()}`, planned: true, inputErrors: 0, chunks: [] };
}

const EMPTY_STATE = 'none:';

export const isEmptyState = (manifest: Manifest): boolean => manifest.runKey.startsWith(EMPTY_STATE) && manifest.chunks.length === 0;

/** The state of the run whose results the output holds (see Manifest.overwriting). */
export function readManifest(output: string): Manifest | undefined {
  const manifest = readManifestAsWritten(output);
  if (!manifest?.overwriting) return manifest;
  const { overwriting: _, ...own } = manifest;
  return own;
}

/** OUT.batch.json as it is, an --overwrite's plan beside the state it has not replaced included. */
export function readManifestAsWritten(output: string): Manifest | undefined {
  const file = manifestPath(output);
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunError(`cannot read batch manifest ${file}: ${pathProblem(err)}`, 'resume');
  }
  let value: Manifest;
  try {
    value = JSON.parse(raw) as Manifest;
    if (typeof value !== 'object' || value === null || value.version !== 1 || !Array.isArray(value.chunks)) throw new Error('not an llm-batch manifest');
  } catch (err) {
    throw new RunError(`batch manifest ${file} is damaged (${(err as Error).message})${DAMAGED_KEPT}`, 'resume');
  }
  // Every reader (a run, --resume, status, cancel) gets the fields it reads, or one line naming the field.
  return checkManifest(value, file);
}

/**
 * Rewrites the manifest atomically (temp file, fsync, rename, fsync of the folder): a kill at any
 * instant leaves the old or the new one, and what it says happened did happen. A failure (a full
 * disk) is a stop like such a kill: the old manifest stands, and --resume goes on from it.
 */
export function writeManifest(output: string, manifest: Manifest): void {
  const file = manifestPath(output);
  try {
    writeFileAtomic(file, JSON.stringify(manifest, null, 1) + '\n');
  } catch (err) {
    throw new OutputWriteError(`cannot write batch manifest ${file}: ${(err as Error).message}`);
  }
}

/**
 * The request files' folder beside the output. Not `mkdirSync(…, { recursive: true })`: beside a
 * /dev/fd/N output it spun at full CPU forever, deaf to SIGTERM; makeDirs fails with a code instead.
 */
export function ensureChunkDir(output: string): string {
  const dir = chunkDir(output);
  try {
    makeDirs(dir);
  } catch (err) {
    throw new RunError(`the batches' request files: ${(err as Error).message}`, 'output');
  }
  return dir;
}

/** Statuses after which the server does nothing more with a batch. */
export const TERMINAL: ReadonlySet<ChunkStatus> = new Set(['completed', 'failed', 'expired', 'cancelled']);

/**
 * Statuses in which the server is still working on a batch: validating, in_progress, finalizing,
 * cancelling, and any other it names (a status added to the API, or a hand-edited manifest's), which
 * is polled until the server says it ended rather than waited on for ever.
 */
export const IN_FLIGHT_STATUSES: { has(status: ChunkStatus): boolean } = { has: (status) => !LOCAL_STATUSES.has(status) && !TERMINAL.has(status) };

/**
 * Whether a batch of this chunk is on the server, or may be (a create the run never heard back
 * from, found by its key before anything is created again). A chunk that is not was only built (or
 * uploaded): nothing runs or bills for it, and `--resume` submits it.
 */
export function submitted(chunk: Chunk): boolean {
  return chunk.batchId !== undefined || chunk.createKey !== undefined;
}

/**
 * Whether the server may still be running (and billing) a batch of this chunk: created and not ended,
 * or a create the run never heard back from. An ended batch (expired, cancelled, completed) whose rows
 * are not collected yet runs nothing.
 */
export function runningOnServer(chunk: Chunk): boolean {
  return submitted(chunk) && isOpen(chunk) && (IN_FLIGHT_STATUSES.has(chunk.status) || chunk.status === 'uploaded');
}

/**
 * Batches of an earlier --batch-api run that are on the server, or may be (a create the killed run
 * never heard back from), and not collected: their answers are paid for and on the way.
 */
export function uncollectedBatches(manifest: Manifest): string[] {
  return openChunks(manifest).submitted.map((c) => c.batchId ?? `batch ${c.n} (being created)`);
}

/** `batch_a, batch_b, batch_c, …` */
export const batchList = (ids: readonly string[]): string => `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}`;

/** The request files uploaded for `chunks` (their batches not created): on the server, holding their prompts. */
export const uploadedFiles = (chunks: readonly Chunk[]): string[] => chunks.flatMap((c) => (c.fileId ? [c.fileId] : []));

/** A manifest's chunks not collected yet: those on the server (or maybe), and those never submitted. */
export function openChunks(manifest: Manifest): { submitted: Chunk[]; unsubmitted: Chunk[] } {
  const open = manifest.chunks.filter(isOpen);
  return { submitted: open.filter(submitted), unsubmitted: open.filter((c) => !submitted(c)) };
}
