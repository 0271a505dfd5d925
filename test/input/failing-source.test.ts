import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readRecords, type InputFormat } from '../../src/input/index.js';
import type { PromptRecord } from '../../src/types.js';

/**
 * A source that fails part-way (decodeInput on a pipe that turns out not to be UTF-8 at line 4):
 * every reader yields the records whose lines came before the failure, then throws it, so a stopped
 * run counts them (ok or notRun) instead of losing them with the parser's buffer.
 */
async function* failingAfter(text: string): AsyncGenerator<Buffer> {
  yield Buffer.from(text);
  throw new InputError('in:4: not valid UTF-8 (byte 0xE9)');
}

describe('a source that fails after some lines', () => {
  it.each([
    ['txt', 'a\nb\nc\n'],
    ['jsonl', '{"prompt":"a"}\n{"prompt":"b"}\n{"prompt":"c"}\n'],
    ['csv', 'prompt\na\nb\nc\n'],
    ['csv', 'prompt\na\nb\n"c\nstill c"\n'],
  ] as Array<[InputFormat, string]>)('%s: the records before it, then its error', async (format, text) => {
    const records: PromptRecord[] = [];
    const reading = (async () => {
      for await (const record of readRecords(failingAfter(text), { source: 'in', format })) records.push(record);
    })();
    await expect(reading).rejects.toThrow(/^in:4: not valid UTF-8/);
    expect(records.map((r) => [r.prompt, r.problem?.message])).toEqual(
      (format === 'csv' && text.includes('"') ? ['a', 'b', 'c\nstill c'] : ['a', 'b', 'c']).map((p) => [p, undefined]),
    );
  });
});
