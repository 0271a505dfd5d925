import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Screen, screenedStream } from '../../src/ui/screen.js';

/** A stream that logs what it is given, and says "wait for drain" while `full` is set. */
function loggingStream(log: string[]) {
  const stream = Object.assign(new Writable({ write: (_chunk, _encoding, done) => done() }), { full: false });
  stream.write = ((chunk: string) => {
    log.push(`write ${JSON.stringify(chunk)}`);
    return !stream.full;
  }) as typeof stream.write;
  return stream;
}

describe('screenedStream (rows for the terminal the status line is on)', () => {
  it('writes each row between clearing the status line and drawing it again', () => {
    const log: string[] = [];
    const stdout = loggingStream(log);
    const screen = new Screen(stdout, loggingStream([]));
    screen.status = { clear: () => log.push('clear'), redraw: () => log.push('redraw') };
    const rows = screenedStream(stdout, (text) => screen.stdout(text));
    expect(rows.write('{"id":"1"}\n{"id":"2"}\n')).toBe(true);
    expect(log).toEqual(['clear', 'write "{\\"id\\":\\"1\\"}\\n{\\"id\\":\\"2\\"}\\n"', 'redraw']);
  });

  it("passes the stream's backpressure on, and its 'drain' to the writer's listener", () => {
    const stdout = loggingStream([]);
    const screen = new Screen(stdout, loggingStream([]));
    const rows = screenedStream(stdout, (text) => screen.stdout(text));
    stdout.full = true;
    expect(rows.write('row\n')).toBe(false);
    let drained = 0;
    const onDrain = () => drained++;
    rows.once('drain', onDrain);
    stdout.emit('drain');
    rows.on('drain', onDrain).removeListener('drain', onDrain);
    stdout.emit('drain');
    expect(drained).toBe(1);
  });
});
