import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/batch/manifest.js';
import { checkStatusManifest } from '../../src/cli/check-status-manifest.js';
import type { CliIo } from '../../src/cli/io.js';
import { runSubcommand } from '../../src/cli/subcommands.js';
import { RunError } from '../../src/errors.js';
import { tempDir } from '../helpers/run-cli.js';

const GOOD = { n: 1, model: 'gpt-4o-mini', file: 'chunk-1.jsonl', lines: 3, bytes: 10, status: 'in_progress', batchId: 'batch_1', submittedAt: 1 };
const manifestOf = (...chunks: unknown[]) => ({ version: 1, runKey: 'k', planned: true, inputErrors: 0, chunks }) as unknown as Manifest;

describe('checkStatusManifest', () => {
  it('takes the chunks a run writes', () => {
    const m = manifestOf(
      GOOD,
      { ...GOOD, n: 2, status: 'completed', counts: { total: 3, completed: 3, failed: 0 }, collected: true, note: 'done' },
      // request_counts as another server may send them, stored as they came.
      { ...GOOD, n: 3, counts: { total: 3, completed: 1, failed: null } },
      { ...GOOD, n: 4, counts: {} },
    );
    expect(checkStatusManifest(m, 'out.jsonl.batch.json')).toBe(m);
  });

  it.each([
    [{ n: 1, batchId: 'b' }, /chunks\[0\]\.model is missing, expected a model name$/],
    [{ ...GOOD, status: undefined }, /chunks\[0\]\.status is missing, expected a batch status/],
    [{ ...GOOD, lines: 'x' }, /chunks\[0\]\.lines is "x", expected a whole number of requests$/],
    [{ ...GOOD, lines: -1 }, /chunks\[0\]\.lines is -1/],
    [{ ...GOOD, n: 0 }, /chunks\[0\]\.n is 0, expected a whole number greater than 0$/],
    [{ ...GOOD, counts: { completed: '2' } }, /chunks\[0\]\.counts is \{"completed":"2"\}, expected an object/],
    [{ ...GOOD, batchId: 7 }, /chunks\[0\]\.batchId is 7, expected a batch id$/],
    [{ ...GOOD, submittedAt: 'yesterday' }, /chunks\[0\]\.submittedAt is "yesterday"/],
    [{ ...GOOD, note: 5 }, /chunks\[0\]\.note is 5, expected a string$/],
    [{ ...GOOD, model: ['x'.repeat(100)] }, /chunks\[0\]\.model is \["x{35}\.\.\., expected a model name$/],
    [null, /chunks\[0\] is null, expected an object$/],
    [[1], /chunks\[0\] is \[1\], expected an object$/],
  ])('%j: one line naming the file and the field', (chunk, message) => {
    const check = () => checkStatusManifest(manifestOf(chunk), 'out.jsonl.batch.json');
    expect(check).toThrow(RunError);
    expect(check).toThrow(/^batch manifest out\.jsonl\.batch\.json is damaged: /);
    expect(check).toThrow(message);
  });

  it('names the chunk by its place in the list', () => {
    expect(() => checkStatusManifest(manifestOf(GOOD, GOOD, { ...GOOD, model: '' }), 'm.json')).toThrow(/chunks\[2\]\.model is ""/);
  });
});

describe('llm-batch status of a hand-edited manifest', () => {
  const { dir, cleanup } = tempDir('llm-batch-status-manifest-');
  afterAll(cleanup);

  it('is refused with the file and the field (exit 2), not shown as "undefined undefined requests"', async () => {
    const out = path.join(dir, 'out.jsonl');
    fs.writeFileSync(out, '');
    fs.writeFileSync(`${out}.batch.json`, JSON.stringify(manifestOf({ n: 1, batchId: 'b' })));
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    const io = { stdin: new PassThrough(), stdout, stderr: new PassThrough(), env: {}, onSignal: () => () => {} } as CliIo;
    const status = runSubcommand(['status', out, '--no-refresh'], io);
    await expect(status).rejects.toThrow(`batch manifest ${out}.batch.json is damaged: chunks[0].model is missing, expected a model name`);
    await expect(status.catch((err: RunError) => err.exitCode)).resolves.toBe(2);
    expect(printed).toBe('');
  });
});
