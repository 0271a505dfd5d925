import { constants } from 'node:buffer';
import { InputError } from '../errors.js';
import { ElementLines } from './element-lines.js';
import type { PromptRecord } from '../types.js';
import { fieldScanFor } from './jsonl-fields.js';
import { objectRecord, tooDeepRecord } from './jsonl-reader.js';
import type { InputOptions, InputSource } from './input-options.js';
import { fallbackId } from './record-id.js';
import { guardSource } from './source.js';
import { renderTemplate } from './template.js';
import { keptFields, problemRecord, sendableRecord, userMessages } from './to-record.js';
import { keepNumbersAsWritten, numbersReadAsWritten } from '../structured/exact-numbers.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { jsonErrorPlace } from '../util/json-error-place.js';
import { MAX_NESTING, tooDeepField, tooDeepMessage } from './nesting-depth.js';
import { nestedDeeper } from '../util/nested-deeper.js';

/** A `.json` input read whole and checked (see checkJsonInput), as its stream carries it on: parsed once. */
const PARSED = Symbol('parsed .json input');

const { MAX_STRING_LENGTH } = constants;

interface ParsedJson {
  text: string;
  elements: unknown[];
  /** Per element, too deep to walk: its problem (see depthProblem). */
  deep: ReadonlyArray<DepthProblem | undefined>;
  /** The file line each element begins on, for messages (found only when one asks). */
  elementLines: ElementLines;
}

/** An element too deep to walk: what is wrong, the field at fault, and what its line-based id hashes. */
interface DepthProblem {
  message: string;
  field?: string;
  /** The message as it was worded when it was the whole of the row's message: ids stay stable. */
  hashed: string;
}

type CheckedSource = AsyncIterable<string> & { [PARSED]: ParsedJson };

/**
 * Reads and parses a `.json` input whole and refuses, before an output file or its metadata is
 * created, one that is not JSON, not an array, or whose elements lack the fields the options name
 * (as checkJsonlFields refuses a JSONL's). Returns the input again, carrying its parse for the reader.
 * `readAsJson`: the input was taken for JSON by its first line (no extension said so), why, and that
 * line; one that does not parse there (or on the next) may be text (`["Fact check"] The moon…`): its
 * message says so, and how to read it as text. An array broken further on is an array (line 50's
 * quote), whose lines as prompts would be fragments of JSON.
 */
export async function checkJsonInput(input: InputSource, options: InputOptions, readAsJson?: ReadAsJson): Promise<AsyncIterable<string>> {
  const parsed = await parseJsonInput(input, options, readAsJson);
  const checked: CheckedSource = {
    [PARSED]: parsed,
    async *[Symbol.asyncIterator]() {
      yield parsed.text;
    },
  };
  return checked;
}

/** Why an input was taken for a JSON array by its first line, and that line's number. */
export interface ReadAsJson {
  because: string;
  line: number;
}

async function parseJsonInput(input: InputSource, options: InputOptions, readAsJson?: ReadAsJson): Promise<ParsedJson> {
  const checked = (input as Partial<CheckedSource>)[PARSED];
  if (checked) return checked;
  const { source } = options;
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of guardSource<string | Buffer>(input, source)) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(buf);
    bytes += buf.length;
    // Past three bytes a character of V8's longest string, it cannot be one: said now, not once it is all in memory.
    if (bytes > 3 * MAX_STRING_LENGTH) throw tooLargeForJson(source);
  }
  let text: string;
  try {
    text = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_STRING_TOO_LONG') throw tooLargeForJson(source);
    throw err;
  }
  // Nothing but blanks is an empty input, as an empty .jsonl or .txt is (exit 5), not a parse error:
  // a failed export upstream (`jq … > in.json`) must not read as a usage error.
  if (text.trim() === '') return { text, elements: [], deep: [], elementLines: new ElementLines(text) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // As a JSONL input's bad line is named: file:line, so an editor can jump there.
    const { line, column, reason } = jsonErrorPlace(text, err instanceof Error ? err : new Error(String(err)));
    const place = line === undefined ? `${source}: not valid JSON (${reason})` : `${source}:${line}: not valid JSON at column ${column} (${reason})`;
    const lines = jsonLines(text);
    const why =
      lines === 'objects'
        ? `${place}; this looks like JSON Lines: name it .jsonl or pass --input-format jsonl`
        : lines === 'values'
          ? `${place}; this holds one JSON value a line: a .json file is one array of prompts (["…", "…"]), and JSONL (.jsonl) one object a line ({"prompt": "…"})`
          : place;
    const maybeText = readAsJson !== undefined && (line === undefined || line <= readAsJson.line + 1);
    throw new InputError(
      maybeText ? `${why}; it was read as a JSON array because ${readAsJson.because}: if it is text, a prompt a line, pass --input-format txt` : why,
    );
  }
  if (!Array.isArray(value)) {
    throw new InputError(`${source}: a .json input must be an array of prompts or objects; for one object per line, name it .jsonl`);
  }
  // Before anything walks an element (checkFields, lossless-json, a template, --keep-fields).
  const deep = text.length > 2 * MAX_NESTING ? value.map((element, i) => depthProblem(element, i + 1)) : [];
  const elementLines = new ElementLines(text);
  checkFields(value, deep, elementLines, options);
  return { text, elements: value, deep, elementLines };
}

/** A `.json` input is parsed as one string, which V8 caps at ~512 M characters (JSON Lines has no such cap). */
const tooLargeForJson = (source: string): InputError =>
  new InputError(`${source}: too large to read as one JSON document (over ${MAX_STRING_LENGTH} characters); give it as JSON Lines (.jsonl), one record a line`);

/**
 * A `.json` file: one array of prompts (strings) or of objects shaped like JSONL rows. It is parsed
 * whole (a JSON array cannot be read lazily without a streaming parser), so very large inputs
 * belong in JSONL. A record's `line` is its 1-based position in the array; its messages name the file
 * line it begins on too (see placeOf), which is where an editor jumps.
 */
export async function* readJsonRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  const { source } = options;
  const { text, elements: value, deep, elementLines } = await parseJsonInput(input, options);
  // Numbers as written, as in JSONL (see objectRecord): one look at the whole text, rarely a second parse.
  const asWritten = keepNumbersAsWritten(text, value) as unknown[];
  // Whether every number of the file reads as written: looked at once, for the first element nested
  // too deep (once per such element, a file of 10,000 took 68 s against 4).
  let exact: boolean | undefined;
  for (let i = 0; i < value.length; i++) {
    const element: unknown = value[i];
    const line = i + 1;
    const tooDeep = deep[i];
    if (tooDeep !== undefined) {
      // The element cannot be written out to hash it: its line and problem make its id.
      const origin = { source, line, elementLines, id: fallbackId(line, tooDeep.hashed) };
      yield tooDeep.field !== undefined && isPlainObject(element)
        ? tooDeepRecord(element, tooDeep.field, (exact ??= numbersReadAsWritten(text)), origin, options)
        : problemRecord(origin, tooDeep.message, tooDeep.field);
    } else if (typeof element === 'string') yield textRecord(element, line, elementLines, options);
    else if (isPlainObject(element)) {
      // The line-based id hashes the element as JSON.parse read it, as it always has: ids stay stable.
      const origin = { source, line, elementLines, id: fallbackId(line, JSON.stringify(element)) };
      yield objectRecord(element, asWritten[i] as Record<string, unknown>, origin, options);
    } else {
      const origin = { source, line, elementLines, id: fallbackId(line, JSON.stringify(element) ?? '') };
      yield problemRecord(
        origin,
        `expected a string or an object, got ${element === null ? 'null' : Array.isArray(element) ? 'an array' : `a ${typeof element}`}`,
      );
    }
  }
}

/**
 * Refuses, before any record, a prompt field or template field that no element has, as a JSONL
 * input's first rows are checked (see JsonlFieldScan): one element without it is its own error row.
 * A string element is a prompt, and to a template the fields `prompt` and `line`.
 */
function checkFields(elements: readonly unknown[], deep: ReadonlyArray<unknown>, elementLines: ElementLines, options: InputOptions): void {
  const { template } = options;
  const scan = fieldScanFor(options, false, elementLines);
  let others = 0;
  for (let i = 0; i < elements.length; i++) {
    const element = elements[i];
    let done: boolean;
    if (typeof element === 'string') {
      // Without a template a string is a prompt as it is, no row of fields: the objects beside it
      // are checked still (a misspelt --id-field gave each of them a line-based id, exit 0).
      if (template === undefined) continue;
      done = scan.seeRow({ prompt: element, line: element }, i + 1, element.length);
    } else {
      others++;
      const chars = deep[i] === undefined ? (JSON.stringify(element)?.length ?? 0) : 0;
      done = scan.seeRow(isPlainObject(element) ? element : undefined, i + 1, chars);
    }
    if (done) return;
  }
  if (template !== undefined || others > 0) scan.finish();
}

/** An element too deep to be written out or walked (see MAX_NESTING): its field, or itself. */
function depthProblem(element: unknown, line: number): DepthProblem | undefined {
  if (isPlainObject(element)) {
    const field = tooDeepField(element);
    if (field === undefined) return undefined;
    const message = tooDeepMessage(field);
    return { message, field, hashed: message };
  }
  if (!nestedDeeper(element, MAX_NESTING)) return undefined;
  // The message's place says which element it is.
  return { message: `nested too deep (over ${MAX_NESTING} levels)`, hashed: `element ${line} is nested too deep (over ${MAX_NESTING} levels)` };
}

/**
 * Whether a `.json` that did not parse is one JSON value a line: its first line is a whole JSON
 * value and more text follows. `objects`: JSON Lines saved as `.json`; `values`: arrays or strings a
 * line, which are neither. Said, so that the error does not read as a damaged file.
 */
function jsonLines(text: string): 'objects' | 'values' | undefined {
  const start = text.search(/\S/);
  const end = text.indexOf('\n', start);
  if (start < 0 || end < 0 || text.slice(end).trim() === '') return undefined;
  const first = parsed(text.slice(start, end));
  if (first === undefined) return undefined;
  // Only objects are JSONL rows: named .jsonl, lines of arrays or strings are refused there too.
  if (typeof first.value === 'object' && first.value !== null && !Array.isArray(first.value)) return 'objects';
  // Other values a line only if the next line is one too: a first line of text can parse ("2024").
  const next = text.slice(end + 1).search(/\S/) + end + 1;
  const nextEnd = text.indexOf('\n', next);
  return parsed(text.slice(next, nextEnd < 0 ? undefined : nextEnd)) ? 'values' : undefined;
}

/** `{ value }` of a JSON text, undefined when it does not parse. */
function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** A string element: a prompt, and to a template or --keep-fields the fields `prompt` and `line`, as a text line. */
function textRecord(text: string, line: number, elementLines: ElementLines, options: InputOptions): PromptRecord {
  const record = textPrompt(text, line, elementLines, options);
  const keep = options.keepFields;
  if (keep !== undefined) record.fields = keep === 'all' ? { prompt: text } : keptFields({ prompt: text, line: text }, keep);
  return record;
}

function textPrompt(text: string, line: number, elementLines: ElementLines, options: InputOptions): PromptRecord {
  const { source, template, system } = options;
  const origin = { source, line, elementLines, id: fallbackId(line, text) };
  let prompt = text;
  if (template !== undefined) {
    const rendered = renderTemplate(template, { prompt: text, line: text });
    if ('missing' in rendered) return problemRecord(origin, `template field "${rendered.missing}" is missing`, rendered.missing, text);
    prompt = rendered.text;
  }
  if (prompt.trim() === '') return problemRecord(origin, 'empty prompt');
  return sendableRecord(origin, prompt, userMessages(prompt), {}, system);
}
