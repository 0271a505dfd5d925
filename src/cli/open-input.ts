import fs from 'node:fs';
import { RunError, UsageError } from '../errors.js';
import type { InputFormat, InputOptions } from '../input/index.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';

export interface OpenedInput {
  stream: AsyncIterable<string | Buffer>;
  source: string;
  format: InputFormat;
  close: () => Promise<void>;
}

/** The first non-blank line, once it is whole (or the input ended); undefined while it may go on. */
function firstLine(text: string, ended: boolean): string | undefined {
  const start = text.replace(/^\uFEFF/, '').search(/\S/);
  if (start === -1) return ended ? '' : undefined;
  const rest = text.replace(/^\uFEFF/, '').slice(start);
  const end = rest.indexOf('\n');
  return end !== -1 ? rest.slice(0, end) : ended ? rest : undefined;
}

/**
 * Peeks at stdin up to its first non-blank line: JSONL when that line is a JSON object, one prompt
 * per line when it does not start with `{`. A line that starts with `{` but does not parse could be
 * either (a question about JSON, or JSONL with a broken first row): guessing wrong would send every
 * row as text, so that is a usage error asking for --input-format.
 */
async function sniffFormat(stream: NodeJS.ReadableStream): Promise<{ format: InputFormat; stream: AsyncIterable<string | Buffer> }> {
  const iterator = (stream as AsyncIterable<string | Buffer>)[Symbol.asyncIterator]();
  const chunks: Array<string | Buffer> = [];
  let text = '';
  let line: string | undefined;
  while (line === undefined) {
    const next = await iterator.next();
    if (!next.done) {
      chunks.push(next.value);
      text += next.value.toString();
    }
    line = firstLine(text, next.done === true);
  }
  if (!isJsonObject(line) && line.startsWith('{')) {
    throw new UsageError(
      `stdin:1: the first line starts with "{" but is not a JSON object (${line.length > 40 ? `${line.slice(0, 40)}…` : line}): pass --input-format txt or --input-format jsonl`,
    );
  }
  const format: InputFormat = isJsonObject(line) ? 'jsonl' : 'txt';
  async function* replay() {
    yield* chunks;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { format, stream: replay() };
}

/** Opens the input named by the config; unreadable files are a run error naming the path. */
export async function openInput(config: CliConfig, io: CliIo): Promise<OpenedInput> {
  if (config.input.kind === 'stdin') {
    const sniffed = config.inputFormat === 'auto' ? await sniffFormat(io.stdin) : undefined;
    return {
      stream: sniffed?.stream ?? (io.stdin as AsyncIterable<string | Buffer>),
      format: sniffed?.format ?? (config.inputFormat === 'auto' ? 'txt' : config.inputFormat),
      source: '<stdin>',
      // After a stop, a read may still be waiting on a pipe that sends nothing: end it, so node can exit.
      close: async () => {
        (io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      },
    };
  }
  const file = config.input.path;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new RunError(`cannot read input file ${file}: ${why}`, 'input');
  }
  const format = config.inputFormat === 'auto' ? 'txt' : config.inputFormat;
  return { stream: handle.createReadStream(), source: file, format, close: () => handle.close().catch(() => {}) };
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
  };
}

function isJsonObject(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
