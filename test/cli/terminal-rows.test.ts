import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { terminalSafeRows } from '../../src/cli/terminal-rows.js';

const HOSTILE = 'a,"x \x1b]0;t\x07 \x1b[2J y\rz \u202eq\u202c \x9bJ \u200fרק"\n';

function written(isTTY: boolean | undefined, terminal?: boolean): string {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let out = '';
  stream.on('data', (chunk: Buffer) => (out += chunk.toString()));
  terminalSafeRows(stream, terminal).write(HOSTILE);
  return out;
}

describe('terminalSafeRows', () => {
  it('shows controls, CR and bidi controls as � on a terminal, whatever the format (a CSV row here)', () => {
    expect(written(true)).toBe('a,"x �]0;t� �[2J yz �q� �J \u200fרק"\n');
  });

  it('leaves the bytes of a row to a file or a pipe as they are', () => {
    expect(written(undefined)).toBe(HOSTILE);
    expect(written(false)).toBe(HOSTILE);
  });

  it('takes a stream that cannot say it is a terminal (-o /dev/tty) at its word', () => {
    expect(written(undefined, true)).toBe('a,"x �]0;t� �[2J yz �q� �J \u200fרק"\n');
  });
});
