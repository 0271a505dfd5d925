import fs from 'node:fs';
import { checkInputText, inputCheck } from './input-decoding.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';

/**
 * fs.read as a promise. Not util.promisify: a named import from node:util makes node build the
 * module's whole namespace, parseArgs and the assertion diff included, for every run (startup-cost.test.ts).
 */
const read = (fd: number, buffer: Buffer, position: number) =>
  new Promise<number>((resolve, reject) => fs.read(fd, buffer, 0, buffer.length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));

/**
 * Stdin redirected from a regular file (`llm-batch - -o out.jsonl < in.txt`) is checked whole before
 * anything is sent, as a named input file is with -o FILE (see fingerprint): a bad byte on line 3001
 * refuses the run with the same line, not after 3,000 answers were paid for (a line too long too).
 * Read by position from the start, so stdin's own reads are left where they are. A pipe or a
 * terminal is checked as it is read.
 */
export async function checkStdinFile(config: CliConfig, stdin: CliIo['stdin']): Promise<void> {
  if (config.input.kind !== 'stdin' || config.output.kind !== 'file') return;
  const fd = (stdin as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return;
  try {
    if (!fs.fstatSync(fd).isFile()) return;
  } catch {
    return; // a descriptor fstat cannot see: the run's read says what is wrong, if anything
  }
  await checkInputText(positioned(fd), '<stdin>', inputCheck(config));
}

/** The file's bytes from its start, read with pread: the descriptor's offset does not move. */
async function* positioned(fd: number): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const buffer = Buffer.allocUnsafe(1 << 20);
    const bytesRead = await read(fd, buffer, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
