import fs from 'node:fs';
import { readProblem } from './path-problem.js';
import { checkStdinNotDirectory } from './check-input.js';
import { StringDecoder } from 'node:string_decoder';
import { RunError, UsageError } from '../errors.js';
import { sanitize } from '../util/sanitize.js';
import { checkCsvHeader, checkJsonlFields, checkTextFields, type InputFormat, type InputOptions } from '../input/index.js';
import { decodeInput } from '../input/decode-input.js';
import { inputDecoding } from './input-decoding.js';
import { LineBreakSniffer } from '../input/read-lines.js';
import { recordSource } from '../input/replay-source.js';
import { writesCsv, type CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { checkJsonInput, type ReadAsJson } from '../input/json-reader.js';
import { openPipe, pipeSocket } from '../util/pipe-socket.js';
import { onAbort } from '../util/on-abort.js';
import { tooFewFilesLine } from './too-few-files.js';
import { unchangedWhileRead } from './input-changed.js';
import { opensSpreadObject, SPREAD_JSON } from '../input/spread-json.js';

export interface OpenedInput {
  stream: AsyncIterable<string | Buffer>;
  source: string;
  format: InputFormat;
  close: () => Promise<void>;
  /** Why the input was taken for a JSON array, and on which line, when its first line said so (see sniffFormat). */
  readAsJson?: ReadAsJson;
}

/**
 * Peeks at stdin up to its first non-blank line: JSONL when that line is a JSON object, one prompt
 * per line when it does not start with `{`. A line that starts with `{` but does not parse could be
 * either (a question about JSON, or JSONL with a broken first row): guessing wrong would send every
 * row as text, so that is a usage error asking for --input-format. A line that opens a JSON array
 * (see isJsonArrayStart: `jq`'s `[`, or a whole array) is a `.json` array, read whole as one;
 * `readAsJson` says why, and on which line, for the message of one that does not parse (text that starts with
 * `["…"]` is no array: it says how to read it as text, as a `{` line that is no JSON object does).
 */
export async function sniffFormat(
  stream: AsyncIterable<string | Buffer>,
  source: string,
): Promise<{ format: InputFormat; stream: AsyncIterable<string | Buffer>; readAsJson?: ReadAsJson }> {
  const recorded = recordSource(stream);
  // Chunks may cut a BOM or a character in two: decode as one stream.
  const decoder = new StringDecoder('utf8');
  let text = '';
  let lineStart = 0;
  let searchFrom = 0;
  let lineNo = 1;
  let line: string | undefined;
  // Lines end as readLines ends them (see lineBreaksOf): in a classic Mac file, at every CR too.
  const sniff = new LineBreakSniffer();
  let breaks: RegExp | undefined;
  let failure: { err: unknown } | undefined;
  for (let ended = false; line === undefined; ) {
    let next: IteratorResult<string | Buffer>;
    try {
      next = await recorded.next();
    } catch (err) {
      // A bad byte past the text read so far: that text is the input the readers see before the error.
      if (recorded.read.length === 0) throw err;
      failure = { err };
      next = { done: true, value: undefined };
    }
    let added: string;
    if (next.done) {
      ended = true;
      added = decoder.end();
    } else {
      added = typeof next.value === 'string' ? next.value : decoder.write(next.value);
    }
    text += added;
    if (breaks === undefined) {
      const mode = sniff.feed(added, ended);
      if (mode === undefined) continue;
      breaks = mode === 'cr' ? /\r\n?|\n/g : /\n/g;
    }
    if (lineStart === 0 && text.startsWith('\uFEFF')) lineStart = searchFrom = 1;
    // Blank lines are skipped (and counted); only the newly arrived text is searched.
    while (line === undefined) {
      breaks.lastIndex = searchFrom;
      const m = breaks.exec(text);
      // A CR that ends the text so far may be the start of a CRLF.
      const cut = m === null || (!ended && m[0] === '\r' && m.index === text.length - 1);
      const candidate = cut ? (ended ? text.slice(lineStart) : undefined) : text.slice(lineStart, m.index);
      if (candidate === undefined) {
        searchFrom = m === null ? text.length : m.index;
        break;
      }
      if (candidate.trim() !== '' || cut) line = candidate.trim();
      else {
        lineStart = searchFrom = m!.index + m![0].length;
        lineNo++;
      }
    }
  }
  if (isJsonArrayStart(line)) return { format: 'json', stream: recorded.replay(failure), readAsJson: { because: arrayStartWords(line, lineNo), line: lineNo } };
  const json = isJsonObject(line);
  if (!json && opensSpreadObject(line)) throw new UsageError(`${source}:${lineNo}: the first line is "{" alone: ${SPREAD_JSON}`);
  if (!json && line.startsWith('{')) {
    const shown = sanitize(line.length > 40 ? `${line.slice(0, 40)}…` : line);
    throw new UsageError(
      `${source}:${lineNo}: the first line starts with "{" but is not a JSON object (${shown}): pass --input-format txt or --input-format jsonl`,
    );
  }
  return { format: json ? 'jsonl' : 'txt', stream: recorded.replay(failure) };
}

/**
 * Opens the input named by the config; unreadable files are a run error naming the path. A text
 * input's fields are known once its format is, a CSV's once its header is read, a JSONL's once its
 * first rows are, a `.json`'s once it is read whole: a template, --prompt-field, --id-field or
 * --keep-fields naming another is refused here, before the output (or its metadata) is created, as
 * is a `.json` that does not parse.
 */
export async function openInput(config: CliConfig, io: CliIo, stop?: AbortSignal): Promise<OpenedInput> {
  const opened = await openSource(config, io, stop);
  const kept = closeOnStop(opened.close, stop);
  try {
    if (opened.format === 'txt') checkGuessedTextFields(config, opened.source);
    if (opened.format === 'csv') return { ...opened, stream: await checkCsvHeader(opened.stream, inputOptionsFor(config, opened)) };
    if (opened.format === 'jsonl') return { ...opened, stream: await checkJsonlFields(opened.stream, inputOptionsFor(config, opened)) };
    if (opened.format === 'json') {
      return { ...opened, stream: await checkJsonInput(opened.stream, inputOptionsFor(config, opened), opened.readAsJson) };
    }
  } catch (err) {
    await opened.close();
    throw err;
  } finally {
    kept();
  }
  return opened;
}

/**
 * Until the returned function is called, a stop (Ctrl-C, SIGTERM) closes the input being opened: the
 * first rows of a FIFO may never come (its writer stalled, or never started), and the read waiting
 * for them would keep node alive after the run said "interrupted". Once open, the run closes it.
 */
function closeOnStop(close: () => Promise<void>, stop: AbortSignal | undefined): () => void {
  return stop === undefined ? () => {} : onAbort(stop, () => void close());
}

/**
 * A text input's fields checked. Read as text only because its first line was not JSON (stdin, a
 * name without a known extension), it may be the CSV the flags were meant for: the refusal says so,
 * or its own advice (leave the flag out) would send the header and every raw row as prompts.
 */
function checkGuessedTextFields(config: CliConfig, source: string): void {
  try {
    checkTextFields({
      template: config.template,
      system: config.system,
      keepFields: config.data.keepFields,
      promptField: config.promptField,
      idField: config.idField,
    });
  } catch (err) {
    if (!(err instanceof UsageError) || config.inputFormat !== 'auto') throw err;
    throw new UsageError(`${err.message} (${source} was read as text, a prompt a line: if it is a CSV, pass --input-format csv)`);
  }
}

async function openSource(config: CliConfig, io: CliIo, stop: AbortSignal | undefined): Promise<OpenedInput> {
  if (config.input.kind === 'stdin') {
    checkStdinNotDirectory(io.stdin);
    const destroy = () => (io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    let sniffed: Awaited<ReturnType<typeof sniffFormat>> | undefined;
    const decoded = decodeInput(io.stdin as AsyncIterable<string | Buffer>, { source: '<stdin>', ...inputDecoding(config) });
    const kept = closeOnStop(async () => destroy(), stop);
    try {
      sniffed = config.inputFormat === 'auto' ? await sniffFormat(decoded, '<stdin>') : undefined;
    } catch (err) {
      destroy(); // the pipe may stay open (tail -f): node must still exit
      throw err;
    } finally {
      kept();
    }
    return {
      stream: sniffed?.stream ?? decoded,
      format: sniffed?.format ?? (config.inputFormat === 'auto' ? 'txt' : config.inputFormat),
      ...(sniffed?.readAsJson === undefined ? {} : { readAsJson: sniffed.readAsJson }),
      source: '<stdin>',
      // After a stop, a read may still be waiting on a pipe that sends nothing: end it, so node can exit.
      close: async () => destroy(),
    };
  }
  return openFileInput(config, config.input.path, stop);
}

function unreadableInput(file: string, err: unknown): RunError {
  // Too low a `ulimit -n` for the input too: said as for the CLI's own code (too-few-files.ts).
  const tooFew = tooFewFilesLine(err);
  if (tooFew) return new RunError(tooFew.replace(/^llm-batch: /, '').trimEnd(), 'usage');
  return new RunError(`cannot read input file ${file}: ${readProblem(err)}`, 'input');
}

/**
 * Opens `file` as the config's input (format sniffed as for the run): a run's, or a count's of it.
 * A `stop` while the format is sniffed closes it (see closeOnStop).
 */
export async function openFileInput(config: CliConfig, file: string, stop?: AbortSignal): Promise<OpenedInput> {
  const { bytes, close } = await openInputBytes(file);
  const decoded = decodeInput(bytes, { source: file, ...inputDecoding(config) });
  if (config.inputFormat !== 'auto') return { stream: decoded, source: file, format: config.inputFormat, close };
  const kept = closeOnStop(close, stop);
  try {
    const sniffed = await sniffFormat(decoded, file);
    return { ...sniffed, source: file, close };
  } catch (err) {
    await close();
    throw err;
  } finally {
    kept();
  }
}

/**
 * The input file's bytes. A FIFO (`<(zcat …)`, /dev/fd/N, /dev/stdin on a pipe, mkfifo's) is read
 * through a socket, as stdin is (see pipeSocket): read through fs, its wait for a writer or for data
 * held a thread that close() then waited on, so a stop said "interrupted" and the process lived on.
 */
async function openInputBytes(file: string): Promise<{ bytes: AsyncIterable<Buffer>; close: () => Promise<void> }> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    throw unreadableInput(file, err);
  }
  if (stat.isFIFO()) {
    let fd: number;
    try {
      fd = openPipe(file, 'read')!;
    } catch (err) {
      throw unreadableInput(file, err);
    }
    const socket = await pipeSocket(fd, 'read');
    return { bytes: socket, close: async () => void socket.destroy() };
  }
  let handle: fs.promises.FileHandle;
  let opened: fs.Stats;
  try {
    handle = await fs.promises.open(file, 'r');
    opened = await handle.stat();
    if (opened.isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
  } catch (err) {
    throw unreadableInput(file, err);
  }
  // Kept open past the end of the read: the check at the end asks it what the file is then.
  const bytes = handle.createReadStream({ autoClose: false });
  return { bytes: opened.isFile() ? unchangedWhileRead(bytes, handle, file, opened) : bytes, close: () => handle.close().catch(() => {}) };
}

/** Reader options for an opened input: the one place flags become `InputOptions`. */
export function inputOptionsFor(config: CliConfig, input: OpenedInput): InputOptions {
  return {
    source: input.source,
    format: input.format,
    template: config.template,
    system: config.system,
    promptField: config.promptField,
    idField: config.idField,
    csvDelimiter: config.csvDelimiter,
    keepFields: config.data.keepFields !== 'all' && config.data.keepFields.length === 0 ? undefined : config.data.keepFields,
    ...(writesCsv(config) ? { csvIds: true } : {}),
  };
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return isPlainObject(JSON.parse(line));
  } catch {
    return false;
  }
}

/**
 * The first line of a JSON array, as `jq` and `json.dump(indent=…)` write it (`[` alone), as
 * `jq -c` does (the whole array), or as one element a line does (`[{"prompt": …},`, `["a",`).
 * Text that only starts with a bracket (`[INST] …`, `[1] Summarise …`, `[{name}] …`, `[[link]]`) is not.
 */
function isJsonArrayStart(line: string): boolean {
  if (/^\[\s*(?:$|"|\{\s*(?:"|\}|$)|\[\s*(?:$|[-\d"[{\]]))/.test(line)) return true;
  if (!line.startsWith('[')) return false;
  try {
    return Array.isArray(JSON.parse(line));
  } catch {
    return false;
  }
}

/** Why line `lineNo`, which isJsonArrayStart took for an array's start, was: `line 1 starts with '["'`. */
function arrayStartWords(line: string, lineNo: number): string {
  if (line === '[') return `line ${lineNo} is "["`;
  const head = /^\[\s*[[{"]?/.exec(line)?.[0] ?? '[';
  return `line ${lineNo} starts with ${head.includes('"') ? `'${head}'` : `"${head}"`}`;
}
