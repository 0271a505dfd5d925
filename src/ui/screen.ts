import fs from 'node:fs';

/** Something drawn on the terminal's last line that other output must go around. */
export interface StatusLine {
  /** Erases the line; the cursor ends at its start. */
  clear(): void;
  /** Draws it again at the cursor. */
  redraw(): void;
}

type Writable = NodeJS.WritableStream & { isTTY?: boolean; fd?: number };

/**
 * The stream's own write, taken before anything (ora) hooks `write`: everything the screen writes is
 * already placed around the status line, and a hook clearing lines on its own would undo that.
 */
function rawWrite(stream: Writable): (text: string) => boolean {
  const write = stream.write;
  return (text) => write.call(stream, text);
}

/**
 * All output to a terminal while a status line (bar or spinner) sits at the bottom: every write
 * erases the status line, writes, and draws it again below, so text scrolls up above it and the two
 * never mix. Callers write whole lines.
 */
export class Screen {
  status: StatusLine | undefined;
  private readonly out: (text: string) => boolean;
  private readonly err: (text: string) => boolean;

  constructor(stdout: Writable, stderr: Writable) {
    this.out = rawWrite(stdout);
    this.err = rawWrite(stderr);
  }

  /** Returns what the stream's write did: false when the caller should wait for 'drain'. */
  private around(write: (text: string) => boolean, text: string): boolean {
    if (text.length === 0) return true;
    const status = this.status;
    status?.clear();
    const flowing = write(text);
    status?.redraw();
    return flowing;
  }

  /** Data for the person (answers, rows), on stdout. */
  stdout(text: string): boolean {
    return this.around(this.out, text);
  }

  /** Messages, on stderr (and rows sent there: `-o /dev/stderr`). */
  stderr(text: string): boolean {
    return this.around(this.err, text);
  }
}

/**
 * `stream` with its writes made through `write` (a Screen's), for a row writer: rows then go above
 * the status line instead of onto its end. Listeners ('drain', 'error', 'close') and `end` are the
 * stream's own. Each write must be whole lines, as a row writer's are.
 */
export function screenedStream(stream: Writable, write: (text: string) => boolean): Writable {
  const listen = (method: 'on' | 'once' | 'off' | 'removeListener') => (event: string, listener: (...args: unknown[]) => void) => {
    stream[method](event, listener);
    return screened;
  };
  const screened = {
    get isTTY() {
      return stream.isTTY;
    },
    get fd() {
      return stream.fd;
    },
    write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
      const flowing = write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      // write(chunk, [encoding,] callback): the callback once the text was handed on.
      const callback = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return flowing;
    },
    on: listen('on'),
    once: listen('once'),
    off: listen('off'),
    removeListener: listen('removeListener'),
    end: (...args: unknown[]) => Reflect.apply(stream.end, stream, args) as unknown,
  };
  return screened as unknown as Writable;
}

/** Whether two streams are the same terminal (stdout and stderr usually are; `2>/dev/tty2` is not). */
export function sameTerminal(a: Writable, b: Writable): boolean {
  if (a.isTTY !== true || b.isTTY !== true) return false;
  if (typeof a.fd !== 'number' || typeof b.fd !== 'number') return true;
  try {
    return fs.fstatSync(a.fd).rdev === fs.fstatSync(b.fd).rdev;
  } catch {
    return true;
  }
}
