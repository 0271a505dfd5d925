import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OutputAbandonedError, OutputClosedError, RunError } from '../../src/errors.js';
import { streamWriter } from '../../src/output/index.js';
import { errRow, okRow } from '../helpers/result-rows.js';

/** A Writable that accepts nothing until `release()` is called: write() returns false, then 'drain'. */
function gatedStream() {
  const chunks: string[] = [];
  const pending: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      pending.push(() => cb());
    },
  });
  return {
    stream,
    chunks,
    release(): void {
      for (const cb of pending.splice(0)) cb();
    },
  };
}

/** A Writable that takes everything immediately. */
function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('streamWriter', () => {
  it('writeMany hands rows that finished together over in one write, header first', async () => {
    const g = gatedStream();
    const w = streamWriter(g.stream, 'csv');
    const p = w.writeMany!([okRow('a', 'x'), errRow('b', 'boom'), okRow('c', 'multi\nline')]);
    await tick();
    expect(g.chunks).toHaveLength(1);
    const one = sink();
    const each = streamWriter(one.stream, 'csv');
    for (const row of [okRow('a', 'x'), errRow('b', 'boom'), okRow('c', 'multi\nline')]) await each.write(row);
    await each.close();
    expect(g.chunks[0]).toBe(one.text());
    g.release();
    await p;
    await w.close();
  });

  it('waits for drain when the stream signals backpressure', async () => {
    const g = gatedStream();
    const w = streamWriter(g.stream, 'jsonl');
    let done = false;
    const p = w.write(okRow('a', 'x')).then(() => (done = true));
    await tick();
    await tick();
    expect(done).toBe(false);
    expect(g.chunks).toHaveLength(1); // already handed over, whole
    g.release();
    await p;
    expect(done).toBe(true);
  });

  it('keeps rows whole and in order with concurrent writers', async () => {
    const g = gatedStream();
    const w = streamWriter(g.stream, 'csv');
    const writes = ['a', 'b', 'c'].map((id) => w.write(okRow(id, `multi\nline ${id}`)));
    const releaser = setInterval(() => g.release(), 1);
    await Promise.all(writes);
    await w.close();
    clearInterval(releaser);
    expect(g.chunks).toHaveLength(3);
    expect(g.chunks[0]).toMatch(/^id,line,prompt/); // header travels with the first row
    expect(g.chunks.map((c) => c.split('\n').at(-2))).toEqual([
      'line a",,,,,1,120,gpt-4o-mini,stop,5,7,,,,,,,',
      'line b",,,,,1,120,gpt-4o-mini,stop,5,7,,,,,,,',
      'line c",,,,,1,120,gpt-4o-mini,stop,5,7,,,,,,,',
    ]);
  });

  it('writes the CSV header once', async () => {
    const s = sink();
    const w = streamWriter(s.stream, 'csv');
    await w.write(okRow('a', '1'));
    await w.write(okRow('b', '2'));
    await w.close();
    expect(s.text().match(/^id,line/gm)).toHaveLength(1);
  });

  it('writes just the CSV header when there were no rows', async () => {
    const s = sink();
    const w = streamWriter(s.stream, 'csv');
    await w.close();
    expect(s.text()).toMatch(/^id,line,.*completion_tokens,cached_tokens,started_at,finished_at,requested_model,sample,cached,batch_id\n$/);
  });

  it('writes text rows', async () => {
    const s = sink();
    const w = streamWriter(s.stream, 'text');
    await w.write(okRow('a', 'hello'));
    await w.write(errRow('b', 'nope'));
    await w.close();
    expect(s.text()).toBe('[a] hello\n\n[b] [error timeout] nope\n\n');
  });

  it('does not end the stream on close', async () => {
    const s = sink();
    const w = streamWriter(s.stream, 'jsonl');
    await w.close();
    expect(s.stream.writableEnded).toBe(false);
  });

  const failing = (code: string) =>
    new Writable({
      highWaterMark: 1,
      write(_chunk, _enc, cb) {
        setImmediate(() => cb(Object.assign(new Error(`write ${code}`), { code })));
      },
    });

  it('rejects with RunError naming the cause when the stream fails', async () => {
    const w = streamWriter(failing('ENOSPC'), 'jsonl');
    const err = await w.write(okRow('a', 'x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect(err).not.toBeInstanceOf(OutputClosedError);
    expect((err as RunError).message).toMatch(/ENOSPC/);
    await expect(w.write(okRow('b', 'y'))).rejects.toBeInstanceOf(RunError);
  });

  /** Accepts every write at once (write() returns true), and reports `code` a tick later. */
  const failingLater = (code: string) =>
    new Writable({
      write(_chunk, _enc, cb) {
        setImmediate(() => cb(Object.assign(new Error(`write ${code}`), { code })));
      },
    });

  it('a failure reported after the stream took the data (an fs.WriteStream on /dev/full) rejects that write, and close()', async () => {
    const stream = failingLater('ENOSPC');
    const w = streamWriter(stream, 'jsonl');
    const err = await w.write(okRow('a', 'x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).message).toBe('Cannot write output: write ENOSPC');
    await expect(w.close()).rejects.toBe(err);
  });

  /** Writes every row, then fails as it is ended (the last of its data flushed). */
  const failingAtEnd = () =>
    new Writable({
      write(_chunk, _enc, cb) {
        cb();
      },
      final(cb) {
        setImmediate(() => cb(Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' })));
      },
    });

  it('{ end: true }: close() ends the stream, waits until it has closed, and rejects if flushing failed', async () => {
    const stream = failingAtEnd();
    const w = streamWriter(stream, 'jsonl', undefined, { end: true });
    await w.write(okRow('a', 'x'));
    const err = await w.close().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).message).toBe('Cannot write output: write ENOSPC');
    expect(stream.closed).toBe(true);
    expect(stream.listenerCount('error')).toBe(0);
    const s = sink();
    const ok = streamWriter(s.stream, 'jsonl', undefined, { end: true });
    await ok.write(okRow('a', 'x'));
    await ok.close();
    expect(s.stream.writableFinished).toBe(true);
    expect(s.text()).toMatch(/^\{"id":"a".*\n$/);
  });

  it('rejects with OutputClosedError (exit 141, no message) when the reader went away (EPIPE)', async () => {
    const w = streamWriter(failing('EPIPE'), 'jsonl');
    const err = await w.write(okRow('a', 'x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputClosedError);
    expect((err as RunError).exitCode).toBe(141);
  });

  describe('stopWaiting (the hard stop)', () => {
    it('gives up on a write the stream has not taken: it and close() reject at once, the stream is released', async () => {
      const g = gatedStream();
      let released = 0;
      const w = streamWriter(g.stream, 'jsonl', undefined, { release: () => released++ });
      const pending = w.write(okRow('a', 'x')).catch((e: unknown) => e);
      await tick();
      w.stopWaiting!();
      expect(await pending).toBeInstanceOf(OutputAbandonedError);
      await expect(w.close()).rejects.toBeInstanceOf(OutputAbandonedError);
      expect(released).toBe(1);
      expect(g.stream.listenerCount('drain')).toBe(0);
      expect(g.stream.listenerCount('error')).toBe(0);
    });

    it('destroys a stream of its own instead (a FIFO), so its unwritten data holds the process no longer', async () => {
      const g = gatedStream();
      const w = streamWriter(g.stream, 'jsonl', undefined, { end: true });
      const pending = w.write(okRow('a', 'x')).catch((e: unknown) => e);
      await tick();
      w.stopWaiting!();
      expect(await pending).toBeInstanceOf(OutputAbandonedError);
      expect(g.stream.destroyed).toBe(true);
      await expect(w.close()).rejects.toBeInstanceOf(OutputAbandonedError);
    });

    it('with nothing waiting, later rows still go to a stream that takes them at once', async () => {
      const s = sink();
      let released = 0;
      const w = streamWriter(s.stream, 'jsonl', undefined, { release: () => released++ });
      await w.write(okRow('a', 'x'));
      w.stopWaiting!();
      await w.write(okRow('b', 'y'));
      await w.close();
      expect(s.text().split('\n')).toHaveLength(3);
      expect(released).toBe(0);
    });

    it('with nothing waiting, a later row the stream cannot take at once is given up', async () => {
      const g = gatedStream();
      const w = streamWriter(g.stream, 'jsonl');
      w.stopWaiting!();
      await expect(w.write(okRow('a', 'x'))).rejects.toBeInstanceOf(OutputAbandonedError);
      await expect(w.close()).rejects.toBeInstanceOf(OutputAbandonedError);
    });
  });
});
