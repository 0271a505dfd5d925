import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkManifest } from '../../src/batch/check-manifest.js';
import { readManifest, type Manifest } from '../../src/batch/manifest.js';
import { runSubcommand } from '../../src/cli/subcommands.js';
import { RunError } from '../../src/errors.js';
import { memoryIo } from '../helpers/memory-io.js';
import { tempDir } from '../helpers/run-cli.js';

const GOOD = { n: 1, model: 'gpt-4o-mini', file: 'chunk-1.jsonl', lines: 3, bytes: 10, status: 'in_progress', batchId: 'batch_1', submittedAt: 1 };
const manifestOf = (...chunks: unknown[]) => ({ version: 1, runKey: 'k', planned: true, inputErrors: 0, chunks }) as unknown as Manifest;

describe('checkManifest (every reader of OUT.batch.json: a run, --resume, status, cancel)', () => {
  it('takes the chunks a run writes', () => {
    const m = manifestOf(
      GOOD,
      { ...GOOD, n: 2, status: 'completed', counts: { total: 3, completed: 3, failed: 0 }, collected: true, note: 'done' },
      // request_counts as another server may send them, stored as they came.
      { ...GOOD, n: 3, counts: { total: 3, completed: 1, failed: null } },
      { ...GOOD, n: 4, counts: {} },
    );
    expect(checkManifest(m, 'out.jsonl.batch.json')).toBe(m);
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
    [{ ...GOOD, file: '../../secret.txt' }, /chunks\[0\]\.file is "\.\.\/\.\.\/secret\.txt", expected a file name in the request files' folder$/],
    [{ ...GOOD, file: '/etc/passwd' }, /chunks\[0\]\.file is "\/etc\/passwd"/],
    [{ ...GOOD, file: undefined }, /chunks\[0\]\.file is missing/],
    [{ ...GOOD, bytes: '10' }, /chunks\[0\]\.bytes is "10", expected a whole number of bytes$/],
    [{ ...GOOD, fileId: 3 }, /chunks\[0\]\.fileId is 3, expected a file id$/],
    [{ ...GOOD, createKey: '' }, /chunks\[0\]\.createKey is "", expected a key$/],
    [{ ...GOOD, previousBatchIds: 'batch_0' }, /chunks\[0\]\.previousBatchIds is "batch_0", expected a list of batch ids$/],
    [{ ...GOOD, parent: 0 }, /chunks\[0\]\.parent is 0, expected a batch number$/],
    [{ ...GOOD, reservedPico: -5 }, /chunks\[0\]\.reservedPico is -5, expected an amount in picodollars$/],
    [null, /chunks\[0\] is null, expected an object$/],
    [[1], /chunks\[0\] is \[1\], expected an object$/],
  ])('%j: one line naming the file and the field', (chunk, message) => {
    const check = () => checkManifest(manifestOf(chunk), 'out.jsonl.batch.json');
    expect(check).toThrow(RunError);
    expect(check).toThrow(/^batch manifest out\.jsonl\.batch\.json is damaged: /);
    expect(check).toThrow(message);
  });

  it.each([
    [{ runKey: undefined }, /damaged: runKey is missing, expected the run key its batches carry$/],
    [{ planned: 'yes' }, /damaged: planned is "yes", expected true or false$/],
    [{ inputErrors: 'x' }, /damaged: inputErrors is "x", expected a whole number of rows$/],
    [{ rowShape: { csv: 'a,b' } }, /damaged: rowShape is \{"csv":"a,b"\}, expected an object$/],
    [{ budget: { spentPico: 'lots', planned: 1 } }, /damaged: budget\.spentPico is "lots", expected an amount in picodollars$/],
    [{ budget: { spentPico: 0, planned: 1, held: { id: 'q', line: 'x', worstPico: 1 } } }, /damaged: budget\.held\.line is "x", expected a line number$/],
    [{ failingSince: 'noon' }, /damaged: failingSince is "noon", expected a time in ms since 1970$/],
  ])('the manifest %j: one line naming the field', (fields, message) => {
    const check = () => checkManifest({ ...manifestOf(GOOD), ...fields } as unknown as Manifest, 'out.jsonl.batch.json');
    expect(check).toThrow(RunError);
    expect(check).toThrow(message);
  });

  it('takes what a --max-cost run writes', () => {
    const m = {
      ...manifestOf({ ...GOOD, reservedPico: 2e16, parent: 1, fileId: 'file_1', createKey: 'k1', previousBatchIds: ['batch_0'] }),
      budget: { spentPico: 5, planned: 0, held: { id: 'q3', line: 3, worstPico: 9 } },
      rowShape: { csv: { keep: [] } },
      failingSince: 1,
    } as unknown as Manifest;
    expect(checkManifest(m, 'f')).toBe(m);
  });

  it('names the chunk by its place in the list', () => {
    expect(() => checkManifest(manifestOf(GOOD, { ...GOOD, n: 2 }, { ...GOOD, n: 3, model: '' }), 'm.json')).toThrow(/chunks\[2\]\.model is ""/);
  });

  it('refuses two chunks of one number (their files are named by it) and a batch on the server without its id', () => {
    expect(() => checkManifest(manifestOf(GOOD, { ...GOOD, n: 2 }, GOOD), 'm.json')).toThrow(
      /: chunks\[2\]\.n is 1, as chunks\[0\]\.n is, expected a number of its own$/,
    );
    const { batchId: _, ...noId } = GOOD;
    expect(() => checkManifest(manifestOf({ ...noId, createKey: 'k' }), 'm.json')).toThrow(
      /: chunks\[0\]\.batchId is missing, expected a batch id \(its status is "in_progress"\)$/,
    );
    // Not yet on the server, closed without a batch, or collected: no id needed.
    for (const chunk of [
      { ...noId, status: 'built' },
      { ...noId, status: 'uploaded', createKey: 'k' },
      { ...noId, status: 'failed', note: 'gone' },
      { ...noId, collected: true },
    ]) {
      expect(() => checkManifest(manifestOf(chunk), 'm.json')).not.toThrow();
    }
  });
});

describe('readManifest', () => {
  const { dir, cleanup } = tempDir('llm-batch-read-manifest-');
  afterAll(cleanup);

  it('checks the fields as it reads the file, for every reader', () => {
    const out = path.join(dir, 'read.jsonl');
    fs.writeFileSync(`${out}.batch.json`, JSON.stringify(manifestOf({ ...GOOD, lines: 'x' })));
    expect(() => readManifest(out)).toThrow(`batch manifest ${out}.batch.json is damaged: chunks[0].lines is "x", expected a whole number of requests`);
    fs.writeFileSync(`${out}.batch.json`, 'null');
    expect(() => readManifest(out)).toThrow(/is damaged \(not an llm-batch manifest\)/);
    // What it lists cannot be read: it claims nothing of it, and says what to do.
    fs.writeFileSync(`${out}.batch.json`, '{"version":1,"chunks":[');
    expect(() => readManifest(out)).toThrow(
      new RegExp(
        `^batch manifest ${out}\\.batch\\.json is damaged \\(.+\\): it may list batches still on the server, so it is left as it is; if none of them is running, delete it and run again$`,
      ),
    );
    fs.writeFileSync(`${out}.batch.json`, JSON.stringify(manifestOf(GOOD)));
    expect(readManifest(out)).toEqual(manifestOf(GOOD));
  });
});

describe('llm-batch status of a hand-edited manifest', () => {
  const { dir, cleanup } = tempDir('llm-batch-status-manifest-');
  afterAll(cleanup);

  it('is refused with the file and the field (exit 2), not shown as "undefined undefined requests"', async () => {
    const out = path.join(dir, 'out.jsonl');
    fs.writeFileSync(out, '');
    fs.writeFileSync(`${out}.batch.json`, JSON.stringify(manifestOf({ n: 1, batchId: 'b' })));
    const io = memoryIo();
    const status = runSubcommand(['status', out, '--no-refresh'], io);
    await expect(status).rejects.toThrow(`batch manifest ${out}.batch.json is damaged: chunks[0].model is missing, expected a model name`);
    await expect(status.catch((err: RunError) => err.exitCode)).resolves.toBe(2);
    expect(io.out()).toBe('');
  });

  it('cancel too: refused with the file and the field (exit 2) before the server is asked', async () => {
    const out = path.join(dir, 'cancel.jsonl');
    fs.writeFileSync(out, '');
    fs.writeFileSync(`${out}.batch.json`, JSON.stringify(manifestOf({ ...GOOD, batchId: 7 })));
    const io = memoryIo();
    // A base URL nothing listens on: a cancel that got as far as the server would fail another way.
    const cancel = runSubcommand(['cancel', out, '--base-url', 'http://127.0.0.1:9/v1'], io);
    await expect(cancel).rejects.toThrow(`batch manifest ${out}.batch.json is damaged: chunks[0].batchId is 7, expected a batch id`);
    await expect(cancel.catch((err: RunError) => err.exitCode)).resolves.toBe(2);
  });
});
