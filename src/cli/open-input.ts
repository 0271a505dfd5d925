import fs from 'node:fs';
import { RunError } from '../errors.js';
import type { InputFormat, InputOptions } from '../input/index.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';

export interface OpenedInput {
  stream: AsyncIterable<string | Buffer>;
  source: string;
  format: InputFormat;
  close: () => Promise<void>;
}

/** Peeks at the first chunk: JSONL when the first non-blank character is `{`, else one prompt per line. */
async function sniffFormat(stream: NodeJS.ReadableStream): Promise<{ format: InputFormat; stream: AsyncIterable<string | Buffer> }> {
  const iterator = (stream as AsyncIterable<string | Buffer>)[Symbol.asyncIterator]();
  const chunks: Array<string | Buffer> = [];
  let text = '';
  while (text.trim() === '') {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    text += next.value.toString();
  }
  const format: InputFormat = text.replace(/^\uFEFF/, '').trimStart().startsWith('{') ? 'jsonl' : 'txt';
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
