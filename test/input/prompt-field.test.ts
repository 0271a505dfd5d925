import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { InputFormat } from '../../src/input/index.js';
import { read } from '../helpers/input-chunks.js';

describe('--prompt-field beside --template', () => {
  it.each<[InputFormat, string, string]>([
    ['jsonl', '{"title":"T"}\n', 'Say {{title}}'],
    ['json', '[{"title":"T"}]', 'Say {{title}}'],
    ['csv', 'title\nT\n', 'Say {{title}}'],
    ['txt', 'T\n', 'Say {{prompt}}'],
  ])('%s: refused before any record, as the field would be ignored', async (format, text, template) => {
    const run = read(text, { format, source: 'in', template, promptField: 'nosuch' });
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(
      /^--prompt-field "nosuch" does not apply with --template, which builds each prompt from the row's fields: leave --prompt-field out/,
    );
  });

  it('even one that names a field: the template still decides the prompt', async () => {
    await expect(read('{"title":"T","text":"x"}\n', { format: 'jsonl', template: 'Say {{title}}', promptField: 'text' })).rejects.toThrow(UsageError);
  });
});
