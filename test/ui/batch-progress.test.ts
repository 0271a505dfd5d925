import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBatchProgress, formatBatchProgress } from '../../src/ui/batch-progress.js';

describe('batch progress', () => {
  it('counts batches and requests; the ETA extrapolates what this run saw finish', () => {
    const s = { batches: 20, batchesDone: 3, requests: 1_000_000, completed: 150_000, failed: 12 };
    expect(formatBatchProgress(s, 600, 50_012)).toBe('batches 3/20 · 150,012/1,000,000 requests (12 failed) · ETA 1h25m');
    expect(formatBatchProgress({ ...s, failed: 0 }, 10, 150_000)).toBe('batches 3/20 · 150,000/1,000,000 requests');
  });

  it('on a terminal notices print above the line, which is redrawn in place (each erase in one write with what follows it); elsewhere only notices', () => {
    const out = new PassThrough();
    let text = '';
    const writes: string[] = [];
    out.on('data', (d) => {
      text += String(d);
      writes.push(String(d));
    });
    let t = 0;
    const tty = createBatchProgress(out, true, { now: () => t });
    tty.update({ batches: 2, batchesDone: 0, requests: 10, completed: 0, failed: 0 });
    t = 1000;
    tty.info('batch 1/2 (b1): completed');
    tty.update({ batches: 2, batchesDone: 1, requests: 10, completed: 5, failed: 0 });
    tty.close();
    expect(text).toBe(
      'batches 0/2 · 0/10 requests' +
        '\r\x1b[Kllm-batch: batch 1/2 (b1): completed\nbatches 0/2 · 0/10 requests' +
        '\r\x1b[Kbatches 1/2 · 5/10 requests · ETA 1s' +
        '\r\x1b[K',
    );
    // A stop (Ctrl-Z) between an erase and its line, then `bg`, drew the line over the shell's prompt.
    expect(writes.filter((w) => w.startsWith('\r\x1b[K'))).toEqual([
      '\r\x1b[Kllm-batch: batch 1/2 (b1): completed\nbatches 0/2 · 0/10 requests',
      '\r\x1b[Kbatches 1/2 · 5/10 requests · ETA 1s',
      '\r\x1b[K',
    ]);
    text = '';
    const plain = createBatchProgress(out, false);
    plain.update({ batches: 2, batchesDone: 0, requests: 10, completed: 0, failed: 0 });
    plain.info('hello');
    plain.close();
    expect(text).toBe('llm-batch: hello\n');
  });

  it("in the background draws no line and erases none: the terminal's last line is the shell's prompt", () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += String(d)));
    let foreground = true;
    const tty = createBatchProgress(out, true, { now: () => 0, foreground: () => foreground });
    tty.update({ batches: 2, batchesDone: 0, requests: 10, completed: 0, failed: 0 });
    foreground = false; // Ctrl-Z, then bg
    tty.update({ batches: 2, batchesDone: 1, requests: 10, completed: 5, failed: 0 });
    tty.info('batch 1/2 (b1): completed');
    tty.close();
    foreground = true;
    expect(text).toBe('batches 0/2 · 0/10 requests' + 'llm-batch: batch 1/2 (b1): completed\n');
  });

  it('in a locale that is not UTF-8, the line and the notices get ASCII stand-ins', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += String(d)));
    const tty = createBatchProgress(out, true, { ascii: true, now: () => 0, foreground: () => true });
    tty.update({ batches: 2, batchesDone: 0, requests: 10, completed: 0, failed: 0 });
    tty.info('batch 1/2 (b1): completed · 5 rows');
    tty.close();
    expect(text).toBe('batches 0/2 - 0/10 requests' + '\r\x1b[Kllm-batch: batch 1/2 (b1): completed - 5 rows\nbatches 0/2 - 0/10 requests' + '\r\x1b[K');
  });
});
