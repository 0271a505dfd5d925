import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { keepNumbersAsWritten, stringifyExact } from '../structured/exact-numbers.js';
import { OutputWriteError } from '../errors.js';
import { writeAllSync } from '../util/write-all-sync.js';
import type { PromptRecord, ResultRow } from '../types.js';
import { placeOf } from '../input/element-lines.js';
import type { Chunk } from './manifest.js';
import { batchRequestLine, type LineDefaults } from './request-line.js';
import { recordAnswer, type LineAnswer } from './custom-id.js';
import { IdSet } from './id-set.js';

export interface SplitLimits {
  /** Requests per batch (OpenAI: 50,000; Azure: 100,000). */
  maxLines: number;
  /** Bytes per uploaded file (OpenAI: 200 MB). */
  maxBytes: number;
}

/**
 * What a line's record is, for turning its answer back into a row. Written next to each chunk, keyed
 * by `custom_id`. `fields`: the record's input fields, kept for --keep-fields (absent in older chunk
 * indexes). `answer`: (id, model, sample) of a model × sample line, whose custom_id is not the id.
 */
export type IndexEntry = [customId: string, line: number, prompt: string, fields?: Record<string, unknown> | null, answer?: LineAnswer];

/** An index line: kept input fields' numbers as the input wrote them (see structured/exact-numbers.ts). */
export const encodeIndexEntry = (entry: IndexEntry): string => stringifyExact(entry, entry[3]);

/** An index line read back, its kept fields' numbers as written. */
export const decodeIndexEntry = (line: string): IndexEntry => keepNumbersAsWritten(line, JSON.parse(line)) as IndexEntry;

/** The answer an index entry's line asks for. */
export const entryAnswer = (entry: IndexEntry): LineAnswer => entry[4] ?? { id: entry[0] };

/** The index entry of a record's line. */
function indexEntry(customId: string, record: PromptRecord): IndexEntry {
  const answer = recordAnswer(record);
  if (answer.sample !== undefined) return [customId, record.line, record.prompt, record.fields ?? null, answer];
  return record.fields ? [customId, record.line, record.prompt, record.fields] : [customId, record.line, record.prompt];
}

const FLUSH_AT = 1 << 16;

/** An open chunk: buffered appends to its request file and its index file. */
class ChunkFile {
  lines = 0;
  bytes = 0;
  /** --max-cost: the worst cases reserved for its lines. */
  reservedPico = 0;
  private readonly fd: number;
  private readonly indexFd: number;
  private buffer: string[] = [];
  private indexBuffer: string[] = [];
  private buffered = 0;

  constructor(
    readonly n: number,
    readonly model: string,
    private readonly dir: string,
  ) {
    this.fd = openSync(path.join(dir, chunkFileName(n)), 'w');
    this.indexFd = openSync(path.join(dir, indexFileName(n)), 'w');
  }

  add(text: string, size: number, entry: IndexEntry, reserved = 0): void {
    this.reservedPico += reserved;
    this.buffer.push(text);
    this.indexBuffer.push(encodeIndexEntry(entry));
    this.lines++;
    this.bytes += size;
    this.buffered += size;
    if (this.buffered >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    try {
      if (this.buffer.length > 0) writeAllSync(this.fd, this.buffer.join('\n') + '\n');
      if (this.indexBuffer.length > 0) writeAllSync(this.indexFd, this.indexBuffer.join('\n') + '\n');
    } catch (err) {
      // A full disk beside the output: a stop before this chunk is in the manifest, so --resume plans it again.
      throw new OutputWriteError(`cannot write the batches' request file ${path.join(this.dir, chunkFileName(this.n))}: ${(err as Error).message}`);
    }
    this.buffer = [];
    this.indexBuffer = [];
    this.buffered = 0;
  }

  close(): Chunk {
    this.flush();
    closeSync(this.fd);
    closeSync(this.indexFd);
    return {
      n: this.n,
      model: this.model,
      file: chunkFileName(this.n),
      lines: this.lines,
      bytes: this.bytes,
      status: 'built',
      ...(this.reservedPico > 0 ? { reservedPico: this.reservedPico } : {}),
    };
  }
}

/** --max-cost while planning (see LineBudget). */
export interface PlanBudget {
  /** Reserves a line's worst case; undefined when it does not fit. */
  admit(body: Readonly<Record<string, unknown>>): number | undefined;
  /** Why a line can never be admitted (its model has no price): it becomes an `input` row, planning goes on. */
  unpriced?(body: Readonly<Record<string, unknown>>): string | undefined;
  /** The first line that did not fit: planning stops before it. */
  onHeld(record: PromptRecord, body: Readonly<Record<string, unknown>>): void;
  /** custom_ids planned by earlier rounds of the same input. */
  seen?: IdSet;
}

/**
 * Decides where chunks break: a new one per model, and when the next line would pass the count or
 * byte limit. Shared by the real plan and `--dry-run`, so the dry run's batch count is the run's.
 */
export class ChunkSplitter {
  private readonly open = new Map<string, { lines: number; bytes: number }>();
  chunks = 0;
  bytes = 0;

  constructor(private readonly limits: SplitLimits) {}

  /** Counts a line of `size` bytes for `model`; true when it starts a new chunk. */
  add(model: string, size: number): boolean {
    let chunk = this.open.get(model);
    const fresh = !chunk || chunk.lines >= this.limits.maxLines || chunk.bytes + size > this.limits.maxBytes;
    if (fresh) {
      chunk = { lines: 0, bytes: 0 };
      this.open.set(model, chunk);
      this.chunks++;
    }
    chunk!.lines++;
    chunk!.bytes += size;
    this.bytes += size;
    return fresh;
  }
}

export const chunkFileName = (n: number) => `chunk-${String(n).padStart(5, '0')}.jsonl`;
export const indexFileName = (n: number) => `chunk-${String(n).padStart(5, '0')}.index.jsonl`;

/**
 * Streams records into request files of at most `maxLines` lines and `maxBytes` bytes, one model per
 * file (OpenAI requires it). A record that cannot be sent (a bad line, a repeated id, a request
 * larger than a file may be) becomes an `input` error row through `onRow`, never a request.
 * Memory holds a 16-byte fingerprint of each id seen (to refuse duplicates, which would fail a
 * whole batch) and one buffer per open chunk.
 */
export async function planChunks(
  records: AsyncIterable<PromptRecord>,
  defaults: LineDefaults,
  limits: SplitLimits,
  dir: string,
  firstN: number,
  onRow: (row: ResultRow) => Promise<void>,
  budget?: PlanBudget,
): Promise<Chunk[]> {
  const open = new Map<string, ChunkFile>();
  const chunks: Chunk[] = [];
  const seen = budget?.seen ?? new IdSet();
  const splitter = new ChunkSplitter(limits);
  let next = firstN;
  // A reader's problem already names its file and line (`in.jsonl:3: "url" must be …`): as live, said once.
  const located = (record: PromptRecord, message: string): ResultRow => ({
    id: record.id,
    line: record.line,
    prompt: record.prompt,
    ...(record.fields ? { input: record.fields } : {}),
    response: null,
    error: { type: 'input', message },
    attempts: 0,
    latency_ms: null,
    started_at: null,
    finished_at: null,
    model: null,
    finish_reason: null,
    usage: null,
  });
  const inputError = (record: PromptRecord, message: string): ResultRow => located(record, `${placeOf(record)}: ${message}`);
  for await (const record of records) {
    if (record.problem) {
      await onRow(located(record, record.problem.message));
      continue;
    }
    const line = batchRequestLine(record, defaults);
    if (seen.has(line.customId)) {
      await onRow(inputError(record, `id ${JSON.stringify(record.id)} appears more than once; a batch needs unique custom_id values`));
      continue;
    }
    const size = Buffer.byteLength(line.text) + 1;
    if (size > limits.maxBytes) {
      await onRow(inputError(record, `its request is ${size} bytes, more than a whole batch file may hold (--batch-max-mb)`));
      continue;
    }
    const unpriced = budget?.unpriced?.(line.body);
    if (unpriced) {
      await onRow(inputError(record, unpriced));
      continue;
    }
    const reserved = budget?.admit(line.body);
    if (budget && reserved === undefined) {
      // Planning stops here; the caller keeps the record (and the rest of the input) for later.
      budget.onHeld(record, line.body);
      break;
    }
    seen.add(line.customId);
    let chunk = open.get(line.model);
    if (splitter.add(line.model, size)) {
      if (chunk) chunks.push(chunk.close());
      chunk = new ChunkFile(next++, line.model, dir);
      open.set(line.model, chunk);
    }
    chunk!.add(line.text, size, indexEntry(line.customId, record), reserved);
  }
  for (const chunk of open.values()) chunks.push(chunk.close());
  return chunks.sort((a, b) => a.n - b.n);
}
