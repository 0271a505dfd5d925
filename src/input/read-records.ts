import fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { ElementLineFinder, PromptRecord } from '../types.js';
import { elementAt } from './element-lines.js';
import { readJsonlRecords } from './jsonl-reader.js';
import type { InputOptions, InputSource } from './input-options.js';
import { IdRegistry, asWritten, type IdOwner } from './id-registry.js';
import { fallbackId } from './record-id.js';
import { readTextRecords } from './text-reader.js';
import { problemRecord } from './to-record.js';
import { decodeInput, firstLineMaxFor } from './decode-input.js';
import { readJsonRecords } from './json-reader.js';
import { readCsvRecords } from './csv-reader.js';

/**
 * Reads prompts lazily: a record is produced only when the consumer pulls it, so a slow consumer
 * (the scheduler) applies backpressure all the way to the file, and memory stays flat for any size.
 *
 * Malformed rows are not thrown: they come out as records with `problem` set, in input order, so every
 * input line gets a result row. What is thrown (always a `RunError`) is input that cannot be read at all:
 * an unreadable source, a CSV header that does not fit the options (an empty file yields nothing). For CSV those are
 * thrown before any record is yielded. Stopping early (`break`, `return()`) closes the source.
 */
export function readRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  holdOpenError(input);
  // Text lines have line-based ids only (they cannot repeat): no duplicate check, and no layer
  // between the reader and the run (an async generator costs promises per record, issue 16).
  if (options.format === 'txt') return closingInput(readTextRecords(input, options), input);
  return closingInput(rejectDuplicateIds(readFormat(input, options), options.keepFields !== undefined, options.csvIds === true), input);
}

/**
 * readRecords as the library exports it: over the source's bytes as the CLI reads a file, decoded
 * first (see decodeInput): UTF-16 by its byte order mark, and bytes that are not UTF-8 (a Latin-1
 * `café`), a NUL, or a binary file's signature stop the read with `source:line: …`, where they went
 * out as `caf�`. The CLI hands readRecords a source it decoded itself.
 */
export function readDecodedRecords(given: InputSource | Uint8Array | string, options: InputOptions): AsyncGenerator<PromptRecord> {
  // Options left out were a TypeError deep inside ("reading 'source'"); bytes already in memory (a
  // Buffer, a string: the natural first try) read as "The "list[1]" argument must be …".
  if (typeof options !== 'object' || options === null) throw new UsageError('readRecords: options must be an object ({ format, source, … })');
  // A file's name is the likelier slip than a one-line input that happens to name a file.
  if (typeof given === 'string' && !given.includes('\n') && given.trim() !== '' && namesFile(given))
    throw new UsageError(`readRecords: "${given}" is a file's name, read here as the input's text: pass fs.createReadStream(${JSON.stringify(given)})`);
  if (!(typeof given === 'string' || given instanceof Uint8Array || isSource(given)))
    throw new UsageError('readRecords reads a Node or web stream, an async iterable of chunks, a Buffer or a string');
  const input: InputSource = typeof given === 'string' || given instanceof Uint8Array ? whole(given) : given;
  holdOpenError(input);
  return closingInput(
    readRecords(decodeInput(input as AsyncIterable<string | Buffer>, { source: options.source, firstLineMax: firstLineMaxFor(options.format) }), options),
    input,
  );
}

/** Whether `text` is the name of a file there (not for a text no path can be: a NUL, too long). */
function namesFile(text: string): boolean {
  try {
    return fs.statSync(text, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

/** A stream or async iterable of chunks (an ArrayBuffer, a Blob or a DataView is none). */
const isSource = (value: unknown): value is InputSource =>
  typeof value === 'object' && value !== null && (Symbol.asyncIterator in value || typeof (value as { pipe?: unknown }).pipe === 'function');

/** Bytes or text in memory as a source of one chunk. */
async function* whole(chunk: Uint8Array | string): AsyncGenerator<string | Buffer> {
  yield typeof chunk === 'string' ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * `return()` closes the source also before the first pull: a generator closed then never runs its
 * body, so the `for await` that would close the stream never starts, and a file stream holds its
 * descriptor from its creation (a `runBatch` refusing its options left one open per call). The same
 * generator, not a layer around it: no cost per record.
 */
function closingInput(records: AsyncGenerator<PromptRecord>, input: InputSource): AsyncGenerator<PromptRecord> {
  const close = records.return.bind(records);
  records.return = (value) => {
    (input as Partial<{ destroy(): void }>).destroy?.();
    return close(value);
  };
  return records;
}

/**
 * A file stream that cannot open (`fs.createReadStream('nosuch.txt')`: ENOENT) emits 'error' within a
 * tick or two, before this lazy reader has pulled from it; with no listener yet, Node throws that as
 * an uncaught exception no try/catch around the run can stop. Listening from the call on leaves the
 * error on the stream, whose iterator throws it at the first pull: an InputError from the run.
 */
function holdOpenError(input: InputSource): void {
  const emitter = input as Partial<NodeJS.EventEmitter>;
  if (typeof emitter.on === 'function') emitter.on('error', () => {});
}

async function* readFormat(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  switch (options.format) {
    case 'txt':
      return yield* readTextRecords(input, options);
    case 'jsonl':
      return yield* readJsonlRecords(input, options);
    case 'json':
      return yield* readJsonRecords(input, options);
    case 'csv':
      return yield* readCsvRecords(input, options);
    default:
      throw new UsageError(`unknown input format ${JSON.stringify(options.format as unknown)} (expected txt, jsonl, csv or json)`);
  }
}

/**
 * A second record with an id already used is an `input` error row (under an id of its own): two rows
 * sharing an id would look like one prompt answered twice, so a resume would skip one of them and a
 * compaction would drop one. The first record owns the id even if it is an error row itself, and
 * given and line-based ids are one space: a given id equal to an earlier row's line-based id, or a
 * row whose line-based id an earlier row gave, is the second one (re-fed failed rows keep their old
 * ids next to new rows without one). Ids of inputs without such a clash stay as they were: resume
 * pairs rows by id. Memory: see IdRegistry.
 */
async function* rejectDuplicateIds(records: AsyncGenerator<PromptRecord>, keepFields: boolean, csvIds: boolean): AsyncGenerator<PromptRecord> {
  const ids = new IdRegistry(csvIds);
  for await (const record of records) {
    // With --keep-fields every row carries `input`: empty for a record whose fields could not be read.
    if (keepFields) record.fields ??= {};
    const given = record.idGiven === true;
    const first = ids.claim(record.id, record.line, given);
    if (first === undefined) {
      yield record;
      continue;
    }
    const { source, line, elementLines } = record;
    const origin = { source, line, elementLines, id: fallbackId(line, `${record.id}\n${record.prompt}`) };
    ids.claim(origin.id, origin.line, false);
    const problem = problemRecord(origin, duplicateMessage(record.id, first, given, elementLines), 'id', record.prompt);
    if (record.fields) problem.fields = record.fields;
    yield problem;
  }
}

/** `elementLines`: a `.json` input's, whose rows are elements: the first is named by element and file line. */
function duplicateMessage(id: string, first: IdOwner, given: boolean, elementLines: ElementLineFinder | undefined): string {
  const shown = JSON.stringify(id);
  const element = elementAt(first.line, elementLines);
  const on = element === undefined ? `on line ${first.line}` : `in ${element}`;
  if (!given) {
    const row = element === undefined ? `line ${first.line}` : `element ${first.line}`;
    return `this row's line-based id ${shown} is the id given ${on}; ids must be unique: give this row an id, or change ${row}'s`;
  }
  const where = !first.lineBased ? `first ${on}` : element === undefined ? `line ${first.line}'s line-based id` : `the line-based id of ${element}`;
  const written = asWritten(id) === id ? '' : `, the same once written: a lone UTF-16 surrogate is written as U+FFFD`;
  return `duplicate id ${shown} (${where}${written}); ids must be unique: pick another --id-field, or drop the id to use line-based ids`;
}
