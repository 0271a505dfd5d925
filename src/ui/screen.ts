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
function rawWrite(stream: Writable): (text: string) => void {
  const write = stream.write;
  return (text) => {
    write.call(stream, text);
  };
}

/**
 * All output to a terminal while a status line (bar or spinner) sits at the bottom: every write
 * erases the status line, writes, and draws it again below, so text scrolls up above it and the two
 * never mix. Callers write whole lines.
 */
export class Screen {
  status: StatusLine | undefined;
  private readonly out: (text: string) => void;
  private readonly err: (text: string) => void;

  constructor(stdout: Writable, stderr: Writable) {
    this.out = rawWrite(stdout);
    this.err = rawWrite(stderr);
  }

  private around(write: (text: string) => void, text: string): void {
    if (text.length === 0) return;
    const status = this.status;
    status?.clear();
    write(text);
    status?.redraw();
  }

  /** Data for the person (answers), on stdout. */
  stdout(text: string): void {
    this.around(this.out, text);
  }

  /** Messages, on stderr. */
  stderr(text: string): void {
    this.around(this.err, text);
  }
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
