import { closeSync, createReadStream, openSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { OutputWriteError } from '../errors.js';
import { writeAllSync } from '../util/write-all-sync.js';
import type { PromptRecord } from '../types.js';
import type { Chunk } from './manifest.js';
import { chunkFileName, decodeIndexEntry, encodeIndexEntry, entryAnswer, indexFileName, type IndexEntry } from './plan-chunks.js';

/** A chunk's index: id → [id, line, prompt], to turn its answers back into rows. */
export function readIndex(dir: string, chunk: Chunk): Map<string, IndexEntry> {
  const index = new Map<string, IndexEntry>();
  const text = readFileSync(path.join(dir, indexFileName(chunk.n)), 'utf8');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const entry = decodeIndexEntry(line);
    index.set(entry[0], entry);
  }
  return index;
}

async function* requestLines(dir: string, chunk: Chunk): AsyncGenerator<{ id: string; text: string }> {
  const reader = createInterface({ input: createReadStream(path.join(dir, chunk.file)), crlfDelay: Infinity });
  for await (const text of reader) {
    if (text === '') continue;
    yield { id: (JSON.parse(text) as { custom_id: string }).custom_id, text };
  }
}

/** Where a request line lies in its chunk file: start and length in bytes. */
type Span = [start: number, length: number];

/**
 * A chunk's request bodies read back one at a time, by custom_id: what a collected answer is cached
 * under. Only where each line lies is held (a few MB for 50,000 lines), so each answer is stored as
 * it is collected rather than the batch's answers kept until its files are read (130 MB of 2 KB
 * answers for a 50,000-line batch).
 */
export async function openChunkBodies(dir: string, chunk: Chunk): Promise<{ body(id: string): Record<string, unknown> | undefined; close(): void }> {
  const file = path.join(dir, chunk.file);
  const spans = new Map<string, Span>();
  let at = 0;
  // The chunk file is ours: one JSON line per request, each ended by '\n' alone.
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const length = Buffer.byteLength(text);
    if (text !== '') spans.set((JSON.parse(text) as { custom_id: string }).custom_id, [at, length]);
    at += length + 1;
  }
  const fd = openSync(file, 'r');
  return {
    body(id) {
      const span = spans.get(id);
      if (!span) return undefined;
      const bytes = Buffer.alloc(span[1]);
      readSync(fd, bytes, 0, span[1], span[0]);
      const line = JSON.parse(bytes.toString('utf8')) as { custom_id: string; body: Record<string, unknown> };
      return line.custom_id === id ? line.body : undefined;
    },
    close: () => closeSync(fd),
  };
}

/** Writes the lines of `chunk` whose ids are in `keep` as chunk `n`: the unfinished remainder of a batch. */
export async function writeRemainder(dir: string, chunk: Chunk, keep: ReadonlySet<string>, index: ReadonlyMap<string, IndexEntry>, n: number): Promise<Chunk> {
  const { lines, bytes } = await writeKept(dir, chunk, keep, index, chunkFileName(n), indexFileName(n));
  return { n, model: chunk.model, file: chunkFileName(n), lines, bytes, parent: chunk.n, status: 'built', ...(chunk.price ? { price: chunk.price } : {}) };
}

/**
 * Rewrites a chunk never submitted with only the lines in `keep` (the others got a row meanwhile).
 * Each file is written aside, then renamed over the old one: a kill leaves each whole, and a second
 * pass over the same output keeps the same lines.
 */
export async function keepChunkLines(
  dir: string,
  chunk: Chunk,
  keep: ReadonlySet<string>,
  index: ReadonlyMap<string, IndexEntry>,
): Promise<{ lines: number; bytes: number }> {
  const [file, indexFile] = [chunk.file, indexFileName(chunk.n)];
  const kept = await writeKept(dir, chunk, keep, index, `${file}.tmp`, `${indexFile}.tmp`);
  renameSync(path.join(dir, `${file}.tmp`), path.join(dir, file));
  renameSync(path.join(dir, `${indexFile}.tmp`), path.join(dir, indexFile));
  return kept;
}

/** Writes the lines of `chunk` whose ids are in `keep`, in its order, to request file `file` and index `indexFile`. */
async function writeKept(
  dir: string,
  chunk: Chunk,
  keep: ReadonlySet<string>,
  index: ReadonlyMap<string, IndexEntry>,
  file: string,
  indexFile: string,
): Promise<{ lines: number; bytes: number }> {
  const fd = openSync(path.join(dir, file), 'w');
  const indexFd = openSync(path.join(dir, indexFile), 'w');
  let lines = 0;
  let bytes = 0;
  try {
    for await (const { id, text } of requestLines(dir, chunk)) {
      if (!keep.has(id)) continue;
      try {
        writeAllSync(fd, text + '\n');
        writeAllSync(indexFd, encodeIndexEntry(index.get(id)!) + '\n');
      } catch (err) {
        // A full disk beside the output: a stop before the manifest names the new file (see plan-chunks).
        throw new OutputWriteError(`cannot write the batches' request file ${path.join(dir, file)}: ${(err as Error).message}`);
      }
      lines++;
      bytes += Buffer.byteLength(text) + 1;
    }
  } finally {
    closeSync(fd);
    closeSync(indexFd);
  }
  return { lines, bytes };
}

/**
 * The records behind some of a chunk's lines, for a live run (`--finish-live`): the request body is
 * read back into messages, model, temperature and max tokens, and the rest passes through, so the
 * live request is the one the batch would have sent.
 */
export async function* recordsFromChunk(
  dir: string,
  chunk: Chunk,
  keep: ReadonlySet<string>,
  index: ReadonlyMap<string, IndexEntry>,
): AsyncGenerator<PromptRecord> {
  for await (const { id, text } of requestLines(dir, chunk)) {
    if (!keep.has(id)) continue;
    const entry = index.get(id)!;
    const answer = entryAnswer(entry);
    const { body } = JSON.parse(text) as { body: Record<string, unknown> };
    const { model, messages, temperature, max_tokens, max_completion_tokens, ...extraBody } = body;
    const maxTokens = max_completion_tokens ?? max_tokens;
    const record: PromptRecord = {
      id: answer.id,
      ...(answer.sample !== undefined ? { sample: answer.sample } : {}),
      line: entry[1],
      source: chunk.file,
      prompt: entry[2],
      ...(entry[3] ? { fields: entry[3] } : {}),
      messages: messages as PromptRecord['messages'],
      params: {
        model: model as string,
        ...(typeof temperature === 'number' ? { temperature } : {}),
        ...(typeof maxTokens === 'number' ? { max_tokens: maxTokens } : {}),
      },
    };
    if (Object.keys(extraBody).length > 0) record.extraBody = extraBody;
    yield record;
  }
}

export function removeChunkFiles(dir: string, chunk: Chunk): void {
  rmSync(path.join(dir, chunkFileName(chunk.n)), { force: true });
  rmSync(path.join(dir, indexFileName(chunk.n)), { force: true });
}
