import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeManifest } from '../../src/batch/manifest.js';
import type { CliConfig } from '../../src/cli/config.js';
import { refuseLiveOverPendingBatches } from '../../src/cli/pending-batches.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('refuseLiveOverPendingBatches', () => {
  it('names the cancel command so that it pastes back: an output name with a space or a quote is quoted', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-pending-'));
    const output = path.join(dir, "Bob's run.jsonl");
    writeManifest(output, {
      version: 1,
      runKey: 'k',
      planned: true,
      inputErrors: 0,
      chunks: [{ n: 1, model: 'm', file: 'x.jsonl', lines: 1, bytes: 1, status: 'in_progress', batchId: 'batch_1' }],
    });
    const config = { output: { kind: 'file', path: output, format: 'jsonl' }, resume: true } as unknown as CliConfig;
    expect(() => refuseLiveOverPendingBatches(config)).toThrow(`cancel it with \`llm-batch cancel '${dir}/Bob'\\''s run.jsonl'\` first`);
  });
});
