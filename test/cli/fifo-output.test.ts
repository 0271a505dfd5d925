import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openFifoOutput, waitForReader } from '../../src/cli/fifo-output.js';
import { PLAIN_CSV } from '../../src/output/index.js';

/** A FIFO that gets a reader at the `readerAt`th attempt (1-based), or never. */
function fifoReadAt(readerAt = Number.POSITIVE_INFINITY) {
  let attempts = 0;
  return {
    tryOpen: vi.fn(() => (++attempts >= readerAt ? 42 : undefined)),
    get attempts() {
      return attempts;
    },
  };
}

describe('waitForReader', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a reader already there: the descriptor at once, nothing said', async () => {
    const fifo = fifoReadAt(1);
    const onSlow = vi.fn();
    await expect(waitForReader({ tryOpen: fifo.tryOpen, stop: new AbortController().signal, onSlow })).resolves.toBe(42);
    expect(fifo.attempts).toBe(1);
    expect(onSlow).not.toHaveBeenCalled();
  });

  it('asks again every pollMs until a reader comes, and says so once, only after sayAfterMs', async () => {
    const fifo = fifoReadAt(26);
    const onSlow = vi.fn();
    const stop = new AbortController();
    const fd = waitForReader({ tryOpen: fifo.tryOpen, stop: stop.signal, onSlow, pollMs: 100, sayAfterMs: 1000 });
    await vi.advanceTimersByTimeAsync(900);
    expect(fifo.attempts).toBe(10);
    expect(onSlow).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(onSlow).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1500);
    await expect(fd).resolves.toBe(42);
    expect(fifo.attempts).toBe(26);
    expect(onSlow).toHaveBeenCalledTimes(1);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('a stop (Ctrl-C, SIGTERM) ends the wait at once: undefined, no more attempts, no timer or listener left', async () => {
    const fifo = fifoReadAt();
    const stop = new AbortController();
    const fd = waitForReader({ tryOpen: fifo.tryOpen, stop: stop.signal, onSlow: () => {}, pollMs: 100 });
    await vi.advanceTimersByTimeAsync(250);
    stop.abort();
    await expect(fd).resolves.toBeUndefined();
    const asked = fifo.attempts;
    await vi.advanceTimersByTimeAsync(1000);
    expect(fifo.attempts).toBe(asked);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('stopped before it starts: never opens', async () => {
    const fifo = fifoReadAt(1);
    await expect(waitForReader({ tryOpen: fifo.tryOpen, stop: AbortSignal.abort(), onSlow: () => {} })).resolves.toBeUndefined();
    expect(fifo.attempts).toBe(0);
  });

  it('an open that fails otherwise (EACCES) rejects with its error and stops asking', async () => {
    const stop = new AbortController();
    const tryOpen = vi
      .fn<() => number | undefined>()
      .mockReturnValueOnce(undefined)
      .mockImplementation(() => {
        throw new Error('Cannot open output rows: EACCES');
      });
    const fd = waitForReader({ tryOpen, stop: stop.signal, onSlow: () => {}, pollMs: 100 });
    const settled = expect(fd).rejects.toThrow(/EACCES/);
    await vi.advanceTimersByTimeAsync(100);
    await settled;
    expect(tryOpen).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });
});

describe('openFifoOutput', () => {
  it.each([
    [
      'a regular file',
      (dir: string) => {
        fs.writeFileSync(path.join(dir, 'out.jsonl'), '');
        return path.join(dir, 'out.jsonl');
      },
    ],
    ['/dev/null', (_dir: string) => '/dev/null'],
    ['/dev/stdout', () => '/dev/stdout'],
    ['/dev/fd/2', () => '/dev/fd/2'],
  ])('%s is no FIFO of its own: undefined (written as before)', (_name, make) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-fifo-'));
    try {
      expect(openFifoOutput(make(dir), 'jsonl', PLAIN_CSV)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
