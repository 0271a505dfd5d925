import { Transform } from 'node:stream';
import { MAX_LINE_CHARS } from './read-lines.js';

const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const BOM = [0xef, 0xbb, 0xbf];
const EMPTY = Buffer.alloc(0);

/**
 * What a lone CR is written as for csv-parse, and what a U+FDD0 of the text is written as: two
 * noncharacters, which no delimiter, quote or line break is, so a cell holds them as text, and one
 * U+FDD0 never stands alone (see restoreCR).
 */
const LONE_CR = Buffer.from('\uFDD0\uFDD1', 'utf8');
const MARK_ITSELF = Buffer.from('\uFDD0\uFDD0', 'utf8');
const MARK = Buffer.from('\uFDD0', 'utf8'); // EF B7 90

/**
 * A CSV input's line ends made what csv-parse counts right. csv-parse counts every CR and every LF
 * as a line break in `info.lines`, inside a quoted cell too, and takes the first break it meets
 * outside a quoted cell (the header row's) for the records' break. That break says how the file's
 * lines end (see FirstBreak, which finds it as csv-parse does):
 * - LF or CRLF: a CRLF becomes LF (so a multi-line cell is the same prompt, with the same id, whichever
 *   system saved the file), and a lone CR, which is text, reaches csv-parse as a mark it neither
 *   counts nor breaks at: restoreCR gives the cells and the raw text their CRs back. So line numbers
 *   count line ends only, and match the editor's and the text reader's.
 * - CR (classic Mac, a Mac Excel export whose cells hold LFs): every CR ends a line; a CRLF becomes
 *   LF, and csv-parse counts every CR and LF.
 * Works on bytes: CR, LF, a quote and the mark's bytes never occur inside another UTF-8 character.
 */
export class CsvLineEnds {
  private readonly first: FirstBreak;
  private breaks: 'lf' | 'cr' | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** The end of the last chunk, held: a CR that may start a CRLF, or a start of U+FDD0. */
  private tail: Buffer = EMPTY;
  /** Whether a mark was written: only then may csv-parse's strings hold one (see restoreCR). */
  marked = false;

  /** `delimiter`: the one csv-parse is given. */
  constructor(delimiter = ',') {
    this.first = new FirstBreak(Buffer.from(delimiter, 'utf8'));
  }

  /** The text to parse for `chunk` (nothing while the line break is not known). */
  feed(chunk: Buffer): Buffer {
    if (this.breaks === undefined) {
      this.breaks = this.first.feed(chunk);
      this.heldBytes += chunk.length;
      // A header quoted open to the end of a huge file: csv-parse says so at its record cap.
      if (this.breaks === undefined && this.heldBytes > MAX_LINE_CHARS) this.breaks = 'lf';
      if (this.breaks === undefined) {
        this.held.push(chunk);
        return EMPTY;
      }
      if (this.held.length > 0) {
        chunk = Buffer.concat([...this.held, chunk]);
        this.held = [];
      }
    }
    return this.convert(chunk, false);
  }

  /** The rest of the text, at the end of the input. */
  end(): Buffer {
    let chunk = EMPTY;
    if (this.breaks === undefined) {
      this.breaks = this.first.end();
      chunk = Buffer.concat(this.held);
      this.held = [];
    }
    return this.convert(chunk, true);
  }

  private convert(chunk: Buffer, final: boolean): Buffer {
    let buf = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    let keep = 0;
    if (!final && buf.length > 0) {
      const last = buf[buf.length - 1];
      if (last === CR || last === MARK[0]) keep = 1;
      else if (buf.length > 1 && buf[buf.length - 2] === MARK[0] && last === MARK[1]) keep = 2;
    }
    this.tail = keep > 0 ? Buffer.from(buf.subarray(buf.length - keep)) : EMPTY;
    if (keep > 0) buf = buf.subarray(0, buf.length - keep);
    return this.breaks === 'cr' ? dropCRBeforeLF(buf) : this.markLoneCRs(buf);
  }

  /** `buf` with CRLF as LF, a lone CR as LONE_CR, and U+FDD0 as MARK_ITSELF. */
  private markLoneCRs(buf: Buffer): Buffer {
    let cr = buf.indexOf(CR);
    let mark = buf.indexOf(MARK);
    if (cr === -1 && mark === -1) return buf;
    const parts: Buffer[] = [];
    let from = 0;
    while (cr !== -1 || mark !== -1) {
      if (cr !== -1 && (mark === -1 || cr < mark)) {
        parts.push(buf.subarray(from, cr));
        if (buf[cr + 1] !== LF) {
          parts.push(LONE_CR);
          this.marked = true;
        }
        from = cr + 1;
        cr = buf.indexOf(CR, from);
      } else {
        parts.push(buf.subarray(from, mark), MARK_ITSELF);
        this.marked = true;
        from = mark + MARK.length;
        mark = buf.indexOf(MARK, from);
      }
    }
    parts.push(buf.subarray(from));
    return Buffer.concat(parts);
  }
}

/** A string csv-parse gave for text CsvLineEnds marked, as the file has it: its lone CRs and U+FDD0s back. */
export function restoreCR(text: string): string {
  return text.includes('\uFDD0') ? text.replace(/\uFDD0([\uFDD0\uFDD1])/g, (_, c: string) => (c === '\uFDD1' ? '\r' : '\uFDD0')) : text;
}

/** CsvLineEnds as a stream: `lineEnds` is the one whose `marked` says whether csv-parse's strings need restoreCR. */
export function csvLineEnds(lineEnds = new CsvLineEnds()): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = lineEnds.feed(chunk);
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback) {
      const out = lineEnds.end();
      callback(null, out.length > 0 ? out : undefined);
    },
  });
}

function dropCRBeforeLF(buf: Buffer): Buffer {
  let at = buf.indexOf('\r\n');
  if (at === -1) return buf;
  const parts: Buffer[] = [];
  let from = 0;
  while (at !== -1) {
    parts.push(buf.subarray(from, at));
    from = at + 1; // keep the LF
    at = buf.indexOf('\r\n', from);
  }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}

/**
 * The first line break outside a quoted cell, found as csv-parse finds the records' break (with
 * `relax_quotes`): a quote opens a quoted cell only as a cell's first character (after a byte order
 * mark), a doubled one inside is text, and any other closes it. `cr` for a CR not followed by LF.
 */
class FirstBreak {
  private offset = 0;
  private bom = 0;
  private inQuote = false;
  /** Inside a quoted cell, a quote whose next byte says whether it is doubled or closes the cell. */
  private quote = false;
  /** A CR outside quotes whose next byte says whether it is a CRLF's. */
  private cr = false;
  /** Bytes of the cell so far (0: a quote would open it). */
  private cellBytes = 0;
  /** The last bytes outside quotes, as many as the delimiter has. */
  private recent: number[] = [];

  constructor(private readonly delimiter: Buffer) {}

  feed(buf: Buffer): 'lf' | 'cr' | undefined {
    for (const b of buf) {
      const at = this.offset++;
      if (at === this.bom && at < BOM.length && b === BOM[at]) {
        this.bom++;
        continue;
      }
      if (this.cr) return b === LF ? 'lf' : 'cr';
      if (this.quote) {
        this.quote = false;
        if (b === QUOTE) continue;
        this.inQuote = false;
      } else if (this.inQuote) {
        if (b === QUOTE) this.quote = true;
        continue;
      }
      if (b === CR) this.cr = true;
      else if (b === LF) return 'lf';
      else if (b === QUOTE && this.cellBytes === 0) {
        this.inQuote = true;
        this.cellBytes = 1;
      } else {
        this.cellBytes++;
        this.recent.push(b);
        if (this.recent.length > this.delimiter.length) this.recent.shift();
        if (this.recent.length === this.delimiter.length && this.recent.every((x, i) => x === this.delimiter[i])) {
          this.cellBytes = 0;
          this.recent = [];
        }
      }
    }
    return undefined;
  }

  end(): 'lf' | 'cr' {
    return this.cr ? 'cr' : 'lf';
  }
}
