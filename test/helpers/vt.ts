/**
 * A tiny terminal emulator for tests: enough VT100 to replay what the CLI writes to a pty (text,
 * CR/LF, cursor column/up/down, erase line/screen, save/restore) and read the screen as it would
 * look. Scrolled-off lines are kept, so the whole session can be read top to bottom.
 */
export class VirtualTerminal {
  readonly lines: string[][] = [[]];
  row = 0;
  col = 0;
  private saved = { row: 0, col: 0 };
  /** Lines pushed off the top are kept: `rows` only matters for where the bottom is. */
  constructor(readonly cols = 100) {}

  private line(): string[] {
    while (this.lines.length <= this.row) this.lines.push([]);
    return this.lines[this.row]!;
  }

  write(data: string): this {
    for (let i = 0; i < data.length; i++) {
      const ch = data[i]!;
      if (ch === '\x1b') {
        i = this.escape(data, i);
        continue;
      }
      if (ch === '\r') this.col = 0;
      else if (ch === '\n') this.row++;
      else if (ch === '\b') this.col = Math.max(0, this.col - 1);
      else if (ch === '\x07') continue;
      else {
        if (this.col >= this.cols) {
          this.row++;
          this.col = 0;
        }
        const line = this.line();
        while (line.length < this.col) line.push(' ');
        line[this.col++] = ch;
      }
    }
    return this;
  }

  private escape(data: string, at: number): number {
    const next = data[at + 1];
    if (next === '7') {
      this.saved = { row: this.row, col: this.col };
      return at + 1;
    }
    if (next === '8') {
      ({ row: this.row, col: this.col } = this.saved);
      return at + 1;
    }
    if (next === ']') {
      // OSC: up to BEL or ST.
      let j = at + 2;
      while (j < data.length && data[j] !== '\x07' && !(data[j] === '\x1b' && data[j + 1] === '\\')) j++;
      return data[j] === '\x07' ? j : j + 1;
    }
    if (next !== '[') return at + 1;
    let j = at + 2;
    while (j < data.length && !/[@-~]/.test(data[j]!)) j++;
    const params = data.slice(at + 2, j);
    const final = data[j];
    const n = (d: number) => {
      const v = parseInt(params.replace(/^\?/, ''), 10);
      return Number.isNaN(v) ? d : v;
    };
    const line = this.line();
    switch (final) {
      case 'G':
        this.col = n(1) - 1;
        break;
      case 'C':
        this.col += n(1);
        break;
      case 'D':
        this.col = Math.max(0, this.col - n(1));
        break;
      case 'A':
        this.row = Math.max(0, this.row - n(1));
        break;
      case 'B':
        this.row += n(1);
        break;
      case 'K': {
        const mode = n(0);
        if (mode === 0) line.splice(this.col);
        else if (mode === 1) for (let k = 0; k <= this.col && k < line.length; k++) line[k] = ' ';
        else line.splice(0);
        break;
      }
      case 'J':
        if (n(0) === 0) {
          line.splice(this.col);
          this.lines.splice(this.row + 1);
        }
        break;
      default:
        // SGR colours, private modes (?25l, ?7h, ?2026h) and the rest do not move text.
        break;
    }
    return j;
  }

  /** The screen's text lines, right-trimmed, trailing empty lines dropped. */
  text(): string[] {
    const out = this.lines.map((l) => l.join('').trimEnd());
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }
}
