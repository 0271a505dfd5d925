import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureChunkDir } from '../../src/batch/manifest.js';
import { RunError } from '../../src/errors.js';

describe('ensureChunkDir', () => {
  it('makes OUT.batch.d beside an output file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-chunk-dir-'));
    try {
      expect(ensureChunkDir(path.join(dir, 'out.jsonl'))).toBe(path.join(dir, 'out.jsonl.batch.d'));
      expect(fs.statSync(path.join(dir, 'out.jsonl.batch.d')).isDirectory()).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // A recursive mkdirSync spun here at full CPU, deaf to signals (ENOENT for the folder, EEXIST for
  // /dev/fd): the whole test worker hung.
  it.runIf(process.platform === 'linux')('beside /dev/fd/N (procfs): a RunError at once, not a spin', () => {
    expect(() => ensureChunkDir('/dev/fd/0')).toThrow(RunError);
    expect(() => ensureChunkDir('/dev/fd/0')).toThrow(/^the batches' request files: cannot create directory \/dev\/fd\/0\.batch\.d \(ENOENT\)$/);
  });
});
