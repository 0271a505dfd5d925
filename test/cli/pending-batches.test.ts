import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeManifest, type Manifest } from '../../src/batch/manifest.js';
import type { CliConfig } from '../../src/cli/config.js';
import { dropUnsubmittedBatches, refuseLiveOverPendingBatches } from '../../src/cli/pending-batches.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** An output `name` in a new temp dir whose batch state lists one batch in progress on a server (batch_1). */
function withBatchOut(name: string, fields: Pick<Manifest, 'runKey' | 'mock'>): string {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-pending-'));
  const output = path.join(dir, name);
  writeManifest(output, {
    version: 1,
    planned: true,
    inputErrors: 0,
    ...fields,
    chunks: [{ n: 1, model: 'm', file: 'x.jsonl', lines: 1, bytes: 1, status: 'in_progress', batchId: 'batch_1' }],
  });
  return output;
}

describe('refuseLiveOverPendingBatches', () => {
  it('names the cancel command so that it pastes back: an output name with a space or a quote is quoted', () => {
    const output = withBatchOut("Bob's run.jsonl", { runKey: 'k' });
    const config = { output: { kind: 'file', path: output, format: 'jsonl' }, resume: true } as unknown as CliConfig;
    expect(() => refuseLiveOverPendingBatches(config)).toThrow(`cancel it with \`llm-batch cancel '${dir}/Bob'\\''s run.jsonl'\` first`);
  });
});

describe('dropUnsubmittedBatches', () => {
  // A live run that waited for stdin after its check: a --batch-api run took the output meanwhile
  // and has a batch out. Judged again once this run holds the output, as it would have been at first.
  it('judges state written since the run looked again, and refuses over batches out on a server', () => {
    const output = withBatchOut('out.jsonl', { runKey: 'new', mock: false });
    const config = { output: { kind: 'file', path: output, format: 'jsonl' } } as unknown as CliConfig;
    const said: string[] = [];
    for (const seen of [
      { signature: '["old",true,["batch_0"]]', mockRunKey: 'old' },
      { signature: undefined, mockRunKey: undefined },
      // The same state, its batch built then and submitted since (a --batch-api --resume).
      { signature: '["new",false,[]]', mockRunKey: undefined },
    ]) {
      expect(() => dropUnsubmittedBatches(config, (line) => said.push(line), seen)).toThrow(
        /lists 1 batch of an earlier --batch-api run not collected yet \(batch_1\): a live run would send/,
      );
    }
    expect(said).toEqual([]);
    expect(fs.existsSync(`${output}.batch.json`)).toBe(true);
  });
});
