import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropUnsubmitted } from '../../src/batch/drop-unsubmitted.js';
import { ensureChunkDir, readManifest, writeManifest, type Chunk, type Manifest } from '../../src/batch/manifest.js';

let dir = '';
let out = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-drop-'));
  out = path.join(dir, 'out.jsonl');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const chunk = (n: number, more: Partial<Chunk>): Chunk => ({ n, model: 'm', file: `chunk-${n}.jsonl`, lines: 3, bytes: 30, status: 'built', ...more });

/** A --mock run's state: one batch submitted (gone with its process), one built and never submitted. */
function mockState(runKey: string): Manifest {
  const manifest: Manifest = {
    version: 1,
    runKey,
    planned: true,
    inputErrors: 0,
    mock: true,
    chunks: [chunk(1, { status: 'in_progress', batchId: 'batch_1', fileId: 'file_1' }), chunk(2, {})],
  };
  ensureChunkDir(out);
  writeManifest(out, manifest);
  return manifest;
}

describe('dropUnsubmitted over a --mock run that is gone', () => {
  it('drops its submitted batches too when the state is still the one seen before the run took the output', () => {
    mockState('k1');
    expect(dropUnsubmitted(out, false, 'k1')).toEqual({ batches: 2, requests: 6, files: [], gone: true });
    expect(readManifest(out)!.chunks.map((c) => [c.collected, c.note])).toEqual([
      [true, 'dropped: taken over by a live --resume'],
      [true, 'dropped: taken over by a live --resume'],
    ]);
    expect(fs.existsSync(`${out}.batch.d`)).toBe(false);
  });

  it('removes the state on a restart', () => {
    mockState('k1');
    expect(dropUnsubmitted(out, true, 'k1')).toMatchObject({ batches: 2, gone: true });
    expect(readManifest(out)).toBeUndefined();
  });

  it('leaves state another run wrote meanwhile, whose batches may be on a server', () => {
    const before = mockState('k2');
    expect(dropUnsubmitted(out, true, 'k1')).toBeUndefined();
    expect(readManifest(out)).toEqual(before);
  });

  it('leaves submitted batches without a run key to drop by', () => {
    const before = mockState('k1');
    expect(dropUnsubmitted(out, true)).toBeUndefined();
    expect(readManifest(out)).toEqual(before);
  });
});
