import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDefaultHighWaterMark } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { readRecords, type InputFormat } from '../../src/input/index.js';
import { runBatch } from '../../src/index.js';

/** A million-line input produced on demand, counting how much of it the reader actually pulled. */
function hugeInput(format: InputFormat) {
  const stats = { pulled: 0, closed: false };
  const header = format === 'csv' ? 'id,prompt\n' : '';
  const line = (i: number) =>
    format === 'jsonl' ? `{"id":"r${i}","prompt":"Question number ${i}?"}\n` : format === 'csv' ? `r${i},"Question number ${i}?"\n` : `Question number ${i}?\n`;
  async function* lines(): AsyncGenerator<string> {
    try {
      if (header) {
        stats.pulled++;
        yield header;
      }
      for (let i = 0; i < 1_000_000; i++) {
        stats.pulled++;
        yield line(i);
      }
    } finally {
      stats.closed = true;
    }
  }
  return { source: lines(), stats };
}

const FORMATS: Array<Exclude<InputFormat, 'json'>> = ['txt', 'jsonl', 'csv'];

describe('laziness and backpressure', () => {
  it.each(FORMATS)('%s: pulling 3 records reads a bounded prefix, and stopping closes the source', async (format) => {
    const { source, stats } = hugeInput(format);
    const records = readRecords(source, { source: 'huge', format });
    const first: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await records.next();
      if (next.done === true) throw new Error('ended early');
      first.push(next.value.prompt);
    }
    expect(first).toEqual(['Question number 0?', 'Question number 1?', 'Question number 2?']);
    const sleep = () => new Promise((resolve) => setTimeout(resolve, 50));

    // Let any read-ahead settle: txt/jsonl pull line by line; csv goes through a stream pipeline whose
    // small fixed buffers fill (a couple of thousand short lines here on Node 20's 16 KiB default
    // highWaterMark, four times that on 22+'s 64 KiB) and then stop.
    await sleep();
    const settled = stats.pulled;
    expect(settled).toBeLessThan(format === 'csv' ? 5_000 * (getDefaultHighWaterMark(false) / 16_384) : 10);
    await sleep();
    expect(stats.pulled).toBe(settled);

    await records.return(undefined);
    await vi.waitFor(() => expect(stats.closed).toBe(true));
  });

  describe('a 100,000-line file', () => {
    let dir: string;
    const files: Record<Exclude<InputFormat, 'json'>, string> = { txt: '', jsonl: '', csv: '' };
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'llm-batch-input-'));
      const n = 100_000;
      const range = Array.from({ length: n }, (_, i) => i);
      files.txt = join(dir, 'big.txt');
      files.jsonl = join(dir, 'big.jsonl');
      files.csv = join(dir, 'big.csv');
      await writeFile(files.txt, range.map((i) => `Prompt number ${i} with some padding text to make it realistic.\n`).join(''));
      await writeFile(files.jsonl, range.map((i) => `${JSON.stringify({ id: `r${i}`, prompt: `Prompt number ${i} with some padding text.` })}\n`).join(''));
      await writeFile(files.csv, `id,prompt\n${range.map((i) => `r${i},"Prompt number ${i}, with a comma."\n`).join('')}`);
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it.each(FORMATS)('%s: streams every record, reading only a little ahead of the consumer', async (format) => {
      const stream = createReadStream(files[format]);
      let count = 0;
      let lastLine = 0;
      let maxLead = 0;
      for await (const record of readRecords(stream, { source: files[format], format })) {
        count++;
        lastLine = record.line;
        if (record.problem !== undefined) throw new Error(record.problem.message);
        if (count === 3) maxLead = stream.bytesRead;
      }
      expect(count).toBe(100_000);
      expect(lastLine).toBe(format === 'csv' ? 100_001 : 100_000);
      // After three records only the first chunk(s) of a multi-megabyte file have been read.
      expect(maxLead).toBeLessThanOrEqual(512 * 1024);
      expect(stream.bytesRead).toBeGreaterThan(4 * 1024 * 1024);
    });
  });

  it.each(FORMATS)('%s: closed before its first pull, the reader closes its file (a refused runBatch leaked it)', async (format) => {
    const dir = await mkdtemp(join(tmpdir(), 'llm-batch-input-'));
    try {
      const file = join(dir, `in.${format}`);
      await writeFile(file, format === 'csv' ? 'id,prompt\nr1,hi\n' : format === 'jsonl' ? '{"prompt":"hi"}\n' : 'hi\n');
      const closing = createReadStream(file);
      await readRecords(closing, { source: file, format }).return(undefined);
      expect(closing.destroyed).toBe(true);

      const refused = createReadStream(file);
      const complete = async () => ({ text: 'x', finishReason: 'stop', usage: null, model: null, headers: null });
      const run = runBatch(readRecords(refused, { source: file, format }), { complete, model: 'm', concurrency: 0 });
      await expect(run.next()).rejects.toThrow('concurrency must be a positive integer, got 0');
      expect(refused.destroyed).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a refused runBatch closes any async iterable through its iterator, as a loop that stops at once does', async () => {
    let closed = false;
    const iterable: AsyncIterable<never> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: true, value: undefined }),
        return: async () => {
          closed = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const complete = async () => ({ text: 'x', finishReason: 'stop', usage: null, model: null, headers: null });
    await expect(runBatch(iterable, { complete, model: 'm', concurrency: 0 }).next()).rejects.toThrow('concurrency');
    expect(closed).toBe(true);
  });

  it('rejects an unknown format', async () => {
    const records = readRecords((async function* () {})(), { source: 'x', format: 'xml' as InputFormat });
    await expect(records.next()).rejects.toThrow(UsageError);
  });
});
