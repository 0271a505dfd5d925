import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSummaryQuietly } from '../../src/cli/refused-summary.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-torn-summary-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A write that stops part way, as one on a full disk does: the file cut, then ENOSPC. */
const cutShort = (file: string, text: string) => {
  fs.writeFileSync(file, text.slice(0, 7));
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
};

describe('a --summary-json the disk had no room for', () => {
  it('is removed, not left cut short (jq of it printed nothing and exited 0)', () => {
    const file = path.join(dir, 's.json');
    fs.writeFileSync(file, '{"stopped":"running"}\n');
    writeSummaryQuietly(file, { stopped: 'running' } as never, cutShort);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('one it cannot read is left alone: not ours to judge', () => {
    const file = path.join(dir, 'dir.json');
    fs.mkdirSync(file);
    writeSummaryQuietly(file, { stopped: 'running' } as never, cutShort);
    expect(fs.statSync(file).isDirectory()).toBe(true);
  });
});
