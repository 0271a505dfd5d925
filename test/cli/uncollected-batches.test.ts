/**
 * Batches a --batch-api output did not collect, as `llm-batch report` and `status` count and word
 * them: pending only those on the server; those built and never submitted (an upload that failed)
 * apart. In-process, from a manifest written here.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeManifest, type Chunk } from '../../src/batch/manifest.js';
import { pendingBatchesNote } from '../../src/cli/report-pending.js';
import { runSubcommand } from '../../src/cli/subcommands.js';
import { writeRunMeta } from '../../src/output/run-meta.js';
import { memoryIo } from '../helpers/memory-io.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const chunk = (n: number, extra: Partial<Chunk>): Chunk => ({ n, model: 'm', file: `chunk-0000${n}.jsonl`, lines: 2, bytes: 10, status: 'built', ...extra });

/** An output whose manifest lists these chunks. */
function outputWith(chunks: Chunk[]): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-uncollected-'));
  const output = path.join(dir, 'out.jsonl');
  fs.writeFileSync(output, '');
  writeManifest(output, { version: 1, runKey: 'k', planned: true, inputErrors: 0, chunks });
  return output;
}

const BUILT = chunk(1, { status: 'built' });
const RUNNING = chunk(2, { status: 'in_progress', batchId: 'batch_2', lines: 3 });

describe('llm-batch report: the line on batches not collected', () => {
  it('a batch never submitted is "built but not submitted", and --resume submits it', () => {
    const output = outputWith([BUILT]);
    expect(pendingBatchesNote(output, null)).toEqual({
      batches: { pending: 0, unsubmitted: 1, gone: 0 },
      message: `${output}.batch.json lists 1 batch (2 requests) built but not submitted: the report covers the rows collected so far; to submit it, run the run's command again with --resume (llm-batch … -o ${output} --batch-api --resume)`,
    });
  });

  it("beside one on the server: each counted apart, with the run's own command", () => {
    const output = outputWith([BUILT, RUNNING]);
    expect(pendingBatchesNote(output, 'llm-batch in.txt -o out.jsonl --batch-api --resume')).toEqual({
      batches: { pending: 1, unsubmitted: 1, gone: 0 },
      message: `${output}.batch.json lists 1 batch (3 requests) not collected yet and 1 batch (2 requests) built but not submitted: the report covers the rows collected so far; to collect and submit them, run: llm-batch in.txt -o out.jsonl --batch-api --resume`,
    });
  });
});

describe('llm-batch status --json: pending and unsubmitted', () => {
  it('counts only the batches on the server as pending', async () => {
    const output = outputWith([BUILT, RUNNING, chunk(3, { status: 'uploaded', createKey: 'k3' })]);
    const io = memoryIo();
    expect(await runSubcommand(['status', output, '--no-refresh', '--json'], io)).toBe(0);
    // A create never answered may have made the batch: pending, as a --resume looks it up first.
    expect(JSON.parse(io.out())).toMatchObject({ pending: 2, unsubmitted: 1, gone: 0 });
  });

  it('only a batch never submitted: nothing pending, and no "every batch is collected" line', async () => {
    const output = outputWith([BUILT]);
    const io = memoryIo();
    expect(await runSubcommand(['status', output, '--no-refresh'], io)).toBe(0);
    expect(io.out()).toBe('batch 1  (not created)  m  built  2 requests  -  next: upload and submit\n');
  });
});

describe("a --mock run's batches, gone with its process", () => {
  it('status: none pending, and no next step but --overwrite; report: gone, with its own line', async () => {
    const output = outputWith([chunk(2, { status: 'in_progress', batchId: 'batch_mock_1' }), BUILT]);
    writeRunMeta(output, { baseURL: 'mock' });
    const io = memoryIo();
    expect(await runSubcommand(['status', output, '--no-refresh', '--json'], io)).toBe(0);
    const status = JSON.parse(io.out());
    expect(status).toMatchObject({ pending: 0, unsubmitted: 0, gone: 2 });
    for (const line of status.batches)
      expect(line.next).toBe("none: --mock batches live only in the process that made them; the run's command with --overwrite starts again");
    expect(pendingBatchesNote(output, null)).toEqual({
      batches: { pending: 0, unsubmitted: 0, gone: 2 },
      message: expect.stringMatching(/lists 1 batch of an earlier --mock run \(batch_mock_1\) that no one can collect: .*; pass --overwrite to start again$/),
    });
  });

  it('one never submitted, and none gone: --resume submits it, as for a real server', () => {
    const output = outputWith([BUILT]);
    writeRunMeta(output, { baseURL: 'mock' });
    expect(pendingBatchesNote(output, null)).toMatchObject({
      batches: { pending: 0, unsubmitted: 1, gone: 0 },
      message: expect.stringMatching(/to submit it, run /),
    });
  });
});
