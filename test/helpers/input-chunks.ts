import { createReadStream } from 'node:fs';
import { readRecords, type InputOptions } from '../../src/input/index.js';
import type { PromptRecord } from '../../src/types.js';
import { collect } from './collect.js';
import { fixture } from './fixtures.js';

export { collect, fixture };

/** Text as string chunks of `size` characters (Infinity: one chunk). */
export async function* textChunks(text: string, size = Infinity): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

/** Text as UTF-8 Buffer chunks of `size` bytes, so multi-byte characters and CRLF get split across chunks. */
export async function* byteChunks(text: string, size = Infinity): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The chunkings every reader must be insensitive to. */
export const CHUNKINGS: ReadonlyArray<[label: string, (text: string) => AsyncIterable<string | Buffer>]> = [
  ['one string', (t) => textChunks(t)],
  ['1-char strings', (t) => textChunks(t, 1)],
  ['1-byte buffers', (t) => byteChunks(t, 1)],
  ['5-byte buffers', (t) => byteChunks(t, 5)],
];

export function read(text: string, options: Omit<InputOptions, 'source'> & { source?: string }, size = Infinity): Promise<PromptRecord[]> {
  return collect(readRecords(byteChunks(text, size), { source: 'input', ...options }));
}

export function readFixture(name: string, options: Omit<InputOptions, 'source'>): Promise<PromptRecord[]> {
  return collect(readRecords(createReadStream(fixture(name)), { source: name, ...options }));
}

/** The parts of a record most tests compare. */
export function brief(r: PromptRecord): { line: number; id: string; prompt: string; problem?: string } {
  return r.problem === undefined ? { line: r.line, id: r.id, prompt: r.prompt } : { line: r.line, id: r.id, prompt: r.prompt, problem: r.problem.message };
}
