import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { skipOf } from '../../src/cli/resume-skip.js';
import { loadResumeState, openFileWriter } from '../../src/output/index.js';
import type { PromptRecord } from '../../src/types.js';
import { errRow, okRow, useTmpDir } from '../helpers/result-rows.js';

const tmp = useTmpDir();

const record = (id: string) => ({ id, params: {}, sample: undefined }) as unknown as PromptRecord;

describe.each(['jsonl', 'csv'] as const)('skipOf (%s)', (format) => {
  it('an id with a lone UTF-16 surrogate (a JSONL input\'s "s\\ud800") is found again, not re-asked by every resume', async () => {
    const path = join(tmp(), `out.${format}`);
    const writer = openFileWriter(path, format, { append: false });
    await writer.write(okRow('s\ud800', 'ok'));
    await writer.write(errRow('t\udc00', 'bad request', { error: { type: 'http', message: 'bad request', status: 400 } }));
    await writer.close();
    const skip = skipOf(await loadResumeState(path, format, {}, 'm'), 'm', false);
    expect([skip(record('s\ud800')), skip(record('t\udc00')), skip(record('s'))]).toEqual(['done', 'failed', undefined]);
  });
});
