import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkWritableFile, unwritableReason } from '../../src/cli/check-writable.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-check-writable-'));
  dirs.push(dir);
  return dir;
};

describe('checkWritableFile of a file not there yet', () => {
  // Two runs started together on one new -o both found it missing; the one the lock refused then
  // removed the file the other had opened meanwhile, and that run's rows went nowhere.
  it('neither makes nor removes the file itself: it probes with a name of its own, and leaves nothing', () => {
    const dir = tmp();
    const out = path.join(dir, 'out.jsonl');
    const opened = vi.spyOn(fs, 'openSync');
    const removed = vi.spyOn(fs, 'rmSync');
    checkWritableFile(out, '--output');
    const touched = [...opened.mock.calls, ...removed.mock.calls].map((call) => String(call[0]));
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.filter((file) => file === out)).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a file another run opened meanwhile stays, with what it wrote', () => {
    const dir = tmp();
    const out = path.join(dir, 'out.jsonl');
    const open = fs.openSync;
    // The other run opens the output the moment the check makes its probe.
    vi.spyOn(fs, 'openSync').mockImplementation((file, ...rest) => {
      const fd = open(file, ...(rest as [number]));
      if (String(file) !== out && !fs.existsSync(out)) fs.writeFileSync(out, '{"id":"1"}\n');
      return fd;
    });
    expect(unwritableReason(out)).toBeUndefined();
    expect(fs.readFileSync(out, 'utf8')).toBe('{"id":"1"}\n');
  });

  it('still refuses a directory that takes no file, in its words', () => {
    // As root, "cannot create a file in /proc (…)"; as another user, the directory's permission.
    expect(unwritableReason('/proc/llm-batch-nope.jsonl')).toBeTruthy();
    expect(fs.readdirSync('/proc').filter((name) => name.startsWith('llm-batch-nope'))).toEqual([]);
  });
});
