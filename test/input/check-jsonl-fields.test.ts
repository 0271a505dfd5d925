import { describe, expect, it } from 'vitest';
import { checkJsonlFields } from '../../src/input/index.js';
import { byteChunks } from '../helpers/input-chunks.js';

/** A source that counts the chunks pulled from it. */
function counted(text: string, size: number): { source: AsyncIterable<Buffer>; pulled: () => number } {
  let pulled = 0;
  const chunks = byteChunks(text, size);
  const source = (async function* () {
    for await (const chunk of chunks) {
      pulled++;
      yield chunk;
    }
  })();
  return { source, pulled: () => pulled };
}

async function text(stream: AsyncIterable<string | Buffer>): Promise<string> {
  let all = '';
  for await (const chunk of stream) all += String(chunk);
  return all;
}

describe('checkJsonlFields', () => {
  it('reads only as far as the fields are found, then replays the input whole', async () => {
    const input = '\n{"id":1,"q":"a"}\n{"id":2,"prompt":"b"}\n{"prompt":"c"}\n'.repeat(50);
    const { source, pulled } = counted(input, 8);
    const checked = await checkJsonlFields(source, { source: 'in.jsonl', format: 'jsonl' });
    expect(pulled()).toBeLessThan(8);
    expect(await text(checked)).toBe(input);
  });

  it.each([
    ['a text file', 'first question\nsecond question\n', {}, /^in\.jsonl:1: none of the 2 lines is a JSON object/],
    ['a prompt field no row has', '{"question":"a"}\n', {}, /^in\.jsonl:1: its one row has no "prompt" or "messages" field/],
    ['a template field no row has', '{"a":"x"}\n', { template: '{{b}}' }, /^in\.jsonl:1: --template uses \{\{b\}\}/],
    ['an --id-field no row has', '{"ticket":"T-1","prompt":"a"}\n', { idField: 'tiket' }, /^in\.jsonl:1: its one row has no "tiket" field for --id-field/],
    [
      'a --keep-fields name no row has',
      '{"title":"T","prompt":"a"}\n',
      { keepFields: ['titel'] },
      /^in\.jsonl:1: its one row has no "titel" field for --keep-fields/,
    ],
  ])('refuses %s before the caller goes on', async (_label, input, options, message) => {
    await expect(checkJsonlFields(byteChunks(input, 5), { source: 'in.jsonl', format: 'jsonl', ...options })).rejects.toThrow(message);
  });

  it('lets an empty input through: the run says it has no prompts', async () => {
    expect(await text(await checkJsonlFields(byteChunks('\n\n'), { source: 'in.jsonl', format: 'jsonl' }))).toBe('\n\n');
  });
});
