import { constants, isUtf8 } from 'node:buffer';
import { InputError } from '../errors.js';
import { LineBreakSniffer, lineTooLong, MAX_LINE_CHARS } from './read-lines.js';
import { utf16Damage, utf16Tail } from './utf16-units.js';
import type { InputFormat } from './input-options.js';
import { COMPRESSED, decompressCommand } from './compressed.js';

/** Encodings `--encoding` accepts; `latin1` is read as Windows-1252, as WHATWG (and every browser) does. */
export type InputEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin1';

/**
 * Signatures of files that are certainly not prompts: refusing beats paying for 22 binary "prompts".
 * `text`: the signature is printable ASCII a prompt may start with (`PAR1 of the contract…`), so it
 * only counts with binary evidence beside it (see hasBinaryEvidence); the others are no text's start.
 * SQLite's is its whole 16-byte header, NUL and all.
 */
const BINARY_MAGIC: Array<{ kind: string; magic: number[]; text?: true }> = [
  { kind: 'a ZIP archive (.xlsx, .docx, .zip)', magic: [0x50, 0x4b, 0x03, 0x04] },
  { kind: COMPRESSED['.gz']!.kind, magic: [0x1f, 0x8b] },
  { kind: 'a PDF', magic: [0x25, 0x50, 0x44, 0x46, 0x2d], text: true },
  { kind: 'a Parquet file', magic: [0x50, 0x41, 0x52, 0x31], text: true },
  { kind: 'an SQLite database', magic: [...Buffer.from('SQLite format 3\0', 'latin1')] },
  { kind: 'an old Excel/Word file', magic: [0xd0, 0xcf, 0x11, 0xe0] },
  { kind: COMPRESSED['.zst']!.kind, magic: [0x28, 0xb5, 0x2f, 0xfd] },
];

const startsWith = (buf: Buffer, bytes: number[]): boolean => buf.length >= bytes.length && bytes.every((b, i) => buf[i] === b);

/** Bytes at the end of `buf` that start a UTF-8 sequence the next chunk completes. */
function incompleteTail(buf: Buffer): number {
  for (let i = 1; i <= Math.min(3, buf.length); i++) {
    const b = buf[buf.length - i]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > i ? i : 0;
  }
  return 0;
}

function countNewlines(buf: Buffer, end = buf.length): number {
  let n = 0;
  for (let at = buf.indexOf(0x0a); at !== -1 && at < end; at = buf.indexOf(0x0a, at + 1)) n++;
  return n;
}

/** Line breaks before `end` in a classic Mac file: every CR, LF or CRLF (`afterCR`: the text before ended in CR). */
function countMacBreaks(buf: Buffer, end: number, afterCR: boolean): number {
  let n = 0;
  for (let i = 0; i < end; i++) {
    const b = buf[i]!;
    if (b === 0x0d || (b === 0x0a && (i === 0 ? !afterCR : buf[i - 1] !== 0x0d))) n++;
  }
  return n;
}

/** Offset of the first byte that breaks UTF-8 in `buf` (which is known to be invalid). */
function firstInvalid(buf: Buffer): number {
  let lo = 0;
  let hi = buf.length;
  // The longest valid prefix, give or take a sequence: binary search on isUtf8 of prefixes cut at lead bytes.
  while (hi - lo > 4) {
    let mid = (lo + hi) >> 1;
    while (mid > lo && (buf[mid]! & 0xc0) === 0x80) mid--;
    if (mid === lo) break;
    if (isUtf8(buf.subarray(0, mid))) lo = mid;
    else hi = mid;
  }
  // The bad sequence starts where the longest valid prefix ends.
  let valid = lo;
  for (let end = lo + 1; end <= buf.length; end++) {
    const cut = end - incompleteTail(buf.subarray(0, end));
    if (!isUtf8(buf.subarray(0, cut))) return valid;
    valid = cut;
  }
  return valid;
}

/** The encoding a byte-order mark announces, and the mark's length. */
export function bomOf(head: Buffer): { encoding: InputEncoding; bytes: number } | undefined {
  if (startsWith(head, [0xef, 0xbb, 0xbf])) return { encoding: 'utf-8', bytes: 3 }; // the readers drop it
  if (startsWith(head, [0xff, 0xfe])) return { encoding: 'utf-16le', bytes: 2 }; // TextDecoder drops these
  if (startsWith(head, [0xfe, 0xff])) return { encoding: 'utf-16be', bytes: 2 };
  return undefined;
}

/** {@link decodeInput}'s `firstLineMax` for an input of `format`: a line's cap where the format is read line by line. */
export const firstLineMaxFor = (format: InputFormat | 'auto'): number | undefined =>
  format === 'txt' || format === 'jsonl' || format === 'csv' ? MAX_LINE_CHARS : undefined;

/**
 * A small file read whole (a flag's file: `-t @`, `-s @`) held to what an input file is held to:
 * UTF-8, or UTF-16 by its byte order mark, and no NUL. Its text without the mark, or what is wrong
 * with it and where (`line 3: not valid UTF-8 (byte 0xE9)…`).
 */
export function decodeWhole(bytes: Buffer): { text: string } | { problem: string } {
  const bom = bomOf(bytes);
  let text: string;
  if (bom !== undefined && bom.encoding !== 'utf-8') {
    try {
      text = new TextDecoder(bom.encoding, { fatal: true, ignoreBOM: true }).decode(bytes.subarray(bom.bytes));
    } catch {
      return { problem: `not valid ${ENCODING_NAMES[bom.encoding]} (it starts with that byte order mark); save it as UTF-8` };
    }
  } else {
    const body = bom === undefined ? bytes : bytes.subarray(bom.bytes);
    // A NUL in every other byte is UTF-16 saved without its mark, whatever else it holds: not Latin-1.
    const utf16 = bom === undefined ? looksUtf16(body) : undefined;
    if (utf16) return { problem: `looks like ${ENCODING_NAMES[utf16]} text without a byte order mark; save it as UTF-8 (or as UTF-16 with its mark)` };
    if (!isUtf8(body)) {
      const at = firstInvalid(body);
      const byte = body[at]!.toString(16).toUpperCase().padStart(2, '0');
      return {
        problem: `line ${countNewlines(body, at) + 1}: not valid UTF-8 (byte 0x${byte}); if it is Latin-1 / Windows-1252, convert it: iconv -f latin1 -t utf-8`,
      };
    }
    text = body.toString('utf8');
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) return { problem: `line ${text.slice(0, nul).split('\n').length}: a NUL byte, which text does not have; is this the right file?` };
  return { text };
}

/** UTF-16 text without a BOM shows as NULs in every other byte of ASCII text. */
function looksUtf16(head: Buffer): InputEncoding | undefined {
  const n = Math.min(head.length, 512) & ~1;
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenNul++;
    if (head[i + 1] === 0) oddNul++;
  }
  if (oddNul > n / 4 && evenNul === 0) return 'utf-16le';
  if (evenNul > n / 4 && oddNul === 0) return 'utf-16be';
  return undefined;
}

const ENCODING_NAMES: Record<InputEncoding, string> = { 'utf-8': 'UTF-8', 'utf-16le': 'UTF-16LE', 'utf-16be': 'UTF-16BE', latin1: 'Latin-1' };

/** Refuses a BOM that says another encoding than --encoding does: the text would go out as `ÿþh\0` or CJK. */
function checkBomAgrees(source: string, bom: ReturnType<typeof bomOf>, encoding: InputEncoding | undefined): void {
  if (bom === undefined || encoding === undefined || bom.encoding === encoding) return;
  throw new InputError(
    `${source}: starts with a ${ENCODING_NAMES[bom.encoding]} byte-order mark, but --encoding ${encoding} was given: drop --encoding (the mark says which it is) or pass --encoding ${bom.encoding}`,
  );
}

/**
 * What a real PDF or Parquet file shows in its first block and a text file does not: a NUL byte, or
 * (when no --encoding says the bytes are another text encoding) bytes that are not UTF-8.
 */
function hasBinaryEvidence(first: Buffer, encodingGiven: boolean): boolean {
  if (first.includes(0)) return true;
  return !encodingGiven && !isUtf8(first.subarray(0, first.length - incompleteTail(first)));
}

/** Refuses what no --encoding makes text: an archive, a document, a database, UTF-16 read as bytes. */
function checkStart(source: string, first: Buffer, encoding: InputEncoding | undefined, encodingGiven: boolean): void {
  const kind = BINARY_MAGIC.find(({ magic, text }) => startsWith(first, magic) && (!text || hasBinaryEvidence(first, encodingGiven)))?.kind;
  if (kind) {
    const cat = decompressCommand(kind);
    const fix = cat ? `decompress it first (e.g. ${cat} FILE | llm-batch)` : 'export it as .csv, .jsonl or .txt';
    throw new InputError(`${source}: this is ${kind}, not prompts: ${fix}`);
  }
  const utf16 = encoding === 'utf-16le' || encoding === 'utf-16be' ? undefined : looksUtf16(first);
  if (utf16) throw new InputError(`${source}: looks like UTF-16 text without a byte-order mark: pass --encoding ${utf16}`);
  if (encodingGiven && (encoding === 'utf-16le' || encoding === 'utf-16be') && looksUtf8(first)) {
    throw new InputError(
      `${source}: looks like UTF-8, not ${ENCODING_NAMES[encoding]}: it has line breaks but no NUL byte, which UTF-16 text with line breaks always has (0A 00); drop --encoding ${encoding}`,
    );
  }
}

/**
 * UTF-8 (or ASCII) text read under a wrong `--encoding utf-16…`, which would go out as CJK mojibake:
 * a line feed byte, none of them a UTF-16 line feed's (`0A 00` / `00 0A`: no NUL at all), all valid
 * UTF-8, no control character text has not (UTF-16 Gurmukhi, U+0A15…, is `15 0A…` to bytes), 16
 * bytes or more, and a space or a multi-byte UTF-8 character among them. UTF-16 without a byte order
 * mark can read as ASCII only where it holds no ASCII character (each has a NUL byte): `上海` is
 * `0A 4E 77 6D`, but such text has no space byte (`、` is `01 30`, `“` is `1C 20`), and a short
 * first write of a pipe says too little either way.
 */
function looksUtf8(first: Buffer): boolean {
  return (
    first.length >= 16 &&
    first.includes(0x0a) &&
    (first.includes(0x20) || first.some((b) => b >= 0x80)) &&
    !first.includes(0) &&
    !first.some(isOddControl) &&
    isUtf8(first.subarray(0, first.length - incompleteTail(first)))
  );
}

/** A C0 control byte text does not hold: not a tab, a line break, a form feed or ESC (terminal colours). */
const isOddControl = (b: number): boolean => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d && b !== 0x1b;

/** The first `NUL_AT_START` bytes are the file's start (unless text was passed on before): a NUL there is a binary file, said as such. */
const NUL_AT_START = 8192;

/**
 * Turns the input's bytes into UTF-8 for the readers, or refuses it with a line number:
 * UTF-16 (Windows Notepad, PowerShell `>`) is decoded by its BOM; without `--encoding`, bytes that
 * are not UTF-8 (Latin-1 `café`), or UTF-16 that is damaged (an unpaired surrogate, an odd last
 * byte), stop the run instead of going out as `caf�`, and binary files
 * (a spreadsheet, an archive) are refused whatever the flag says: by their signature, by a BOM that
 * contradicts --encoding, and by a NUL anywhere in the decoded text. Valid UTF-8 passes through
 * untouched (one `isUtf8` and one NUL search per chunk). A bad byte past the start yields the
 * whole lines before its own first, then throws: records read before the bad line are counted.
 */
export async function* decodeInput(
  chunks: AsyncIterable<string | Buffer>,
  options: {
    source: string;
    encoding?: InputEncoding;
    /**
     * The most characters the first line may hold before its first line break: the text is held
     * until one comes (see emit). Beyond V8's longest string by default, where nothing can read it;
     * {@link firstLineMaxFor} a format read line by line.
     */
    firstLineMax?: number;
  },
): AsyncGenerator<Buffer> {
  const { source, firstLineMax = constants.MAX_STRING_LENGTH } = options;
  let encoding = options.encoding;
  let decoder: InstanceType<typeof TextDecoder> | undefined;
  /** Under UTF-16, its byte order: the bytes are checked before TextDecoder sees them. */
  let utf16: 'le' | 'be' | undefined;
  let head: Buffer | undefined = Buffer.alloc(0);
  let carry = Buffer.alloc(0);
  let linesBefore = 0;
  let bytesBefore = 0;
  // The lines are told apart as readLines does (see lineBreaksOf): while the head has not told yet,
  // they are counted both ways.
  const sniff = new LineBreakSniffer();
  let breaks: 'lf' | 'cr' | undefined;
  let macLinesBefore = 0;
  let afterCR = false;
  /** Text held while the head has not told: the lines before a bad byte depend on it. readLines holds it too. */
  let held: Buffer[] = [];
  /** Whether text was passed on: its rows may be answered already, and a NUL after it is no file's start (see nulAt). */
  let passedOn = false;
  function* emit(text: Buffer, last: boolean): Generator<Buffer> {
    if (breaks === undefined && !last) {
      if (text.length > 0) held.push(text);
      return;
    }
    const out = held.length > 0 ? Buffer.concat([...held, text]) : text;
    held = [];
    if (out.length > 0) {
      passedOn = true;
      yield out;
    }
  }

  const start = (first: Buffer): Buffer => {
    const bom = bomOf(first);
    checkBomAgrees(source, bom, encoding);
    encoding ??= bom?.encoding ?? 'utf-8';
    checkStart(source, first, encoding, options.encoding !== undefined);
    if (encoding === 'utf-16le' || encoding === 'utf-16be') {
      utf16 = encoding === 'utf-16le' ? 'le' : 'be';
      // The mark dropped here, every code unit the decoder sees becomes one of its output: a damaged
      // unit's offset is its replacement's.
      decoder = new TextDecoder(encoding, { ignoreBOM: true });
      return bom ? first.subarray(bom.bytes) : first;
    }
    if (encoding !== 'utf-8') decoder = new TextDecoder('windows-1252');
    return first;
  };

  type Stop = () => { out: Buffer; error: InputError };
  type Checked = { out: Buffer; error?: InputError; stop?: Stop };
  /** Where the text stops being decodable, and the error naming the line that holds it. */
  type Undecodable = { at: number; error: (line: number) => InputError };

  /**
   * The complete lines of `text` before offset `bad`, and the error to throw once they are read; told
   * once the line breaks are (later chunks may tell them: see stopping below).
   */
  const stopAt = (text: Buffer, bad: number, error: (line: number) => InputError): Stop => {
    const lines = linesBefore;
    const macLines = macLinesBefore;
    const cr = afterCR;
    return () => {
      // The text held before (see emit) may end in the start of the bad line.
      const all = held.length > 0 ? Buffer.concat([...held, text]) : text;
      held = [];
      const at = all.length - text.length + bad;
      if (breaks === 'cr') {
        const lineStart = at === 0 ? 0 : Math.max(all.lastIndexOf(0x0a, at - 1), all.lastIndexOf(0x0d, at - 1)) + 1;
        return { out: all.subarray(0, lineStart), error: error(macLines + countMacBreaks(text, bad, cr) + 1) };
      }
      const lineStart = at === 0 ? 0 : all.lastIndexOf(0x0a, at - 1) + 1;
      return { out: all.subarray(0, lineStart), error: error(lines + countNewlines(text, bad) + 1) };
    };
  };

  /**
   * A NUL near the start is a binary file: refused with nothing yielded. Later, or once text was
   * passed on (a pipe's first lines, whose rows may be answered: a NUL in its next write is a line
   * of a text, not the start of a binary file), its line is named.
   */
  const nulAt = (text: Buffer, at: number): Checked => {
    if (!passedOn && bytesBefore + at < NUL_AT_START) {
      return {
        out: text.subarray(0, 0),
        error: new InputError(`${source}: this is a binary file (it contains NUL bytes), not prompts: export it as .csv, .jsonl or .txt`),
      };
    }
    return {
      out: text.subarray(0, 0),
      stop: stopAt(
        text,
        at,
        (line) =>
          new InputError(
            `${source}:${line}: a NUL byte, which text does not have: files with NUL bytes are refused as binary; if the rest is text, remove them (tr -d '\\000')`,
          ),
      ),
    };
  };

  /** Checks UTF-8 text for NUL bytes, and stops at `undecodable` (the bytes it came from were no text), counting its lines. */
  const check = (text: Buffer, undecodable?: Undecodable): Checked => {
    if (breaks === undefined) {
      breaks = sniff.feed(text, false);
      // Undecided, the text is held whole (see emit) and is all one line: over the cap, it can only fail.
      if (breaks === undefined && sniff.firstLineChars > firstLineMax) throw lineTooLong(source, 1, firstLineMax);
    }
    const nul = text.indexOf(0);
    let result: Checked = { out: text };
    if (nul !== -1 && (undecodable === undefined || nul < undecodable.at)) result = nulAt(text, nul);
    else if (undecodable) result = { out: text.subarray(0, 0), stop: stopAt(text, undecodable.at, undecodable.error) };
    linesBefore += countNewlines(text);
    if (breaks !== 'lf') {
      macLinesBefore += countMacBreaks(text, text.length, afterCR);
      if (text.length > 0) afterCR = text[text.length - 1] === 0x0d;
    }
    bytesBefore += text.length;
    return result;
  };

  const notUtf8 = (text: Buffer): Undecodable | undefined => {
    if (isUtf8(text)) return undefined;
    const at = firstInvalid(text);
    const byte = text[at]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      at,
      error: (line) =>
        new InputError(
          `${source}:${line}: not valid UTF-8 (byte 0x${byte}); if the file is Latin-1 / Windows-1252, pass --encoding latin1 (or convert it: iconv -f latin1 -t utf-8)`,
        ),
    };
  };

  /** UTF-16 in whole code units and pairs (the rest carried to the next chunk); decoded up to its first damage. */
  const convertUtf16 = (buf: Buffer, final: boolean, bigEndian: boolean): Checked => {
    const data = carry.length > 0 ? Buffer.concat([carry, buf]) : buf;
    const keep = final ? 0 : utf16Tail(data, bigEndian);
    carry = keep > 0 ? Buffer.from(data.subarray(data.length - keep)) : Buffer.alloc(0);
    const whole = keep > 0 ? data.subarray(0, data.length - keep) : data;
    // Whole units, and no high surrogate the next chunk could pair: each piece decodes on its own,
    // and damage shows as U+FFFD.
    const decoded = decoder!.decode(whole);
    const damage = decoded.includes('\uFFFD') ? utf16Damage(whole, bigEndian) : undefined;
    if (!damage) return check(Buffer.from(decoded, 'utf8'));
    const text = Buffer.from(decoded.slice(0, damage.at / 2), 'utf8');
    return check(text, { at: text.length, error: (line) => new InputError(`${source}:${line}: not valid UTF-16 (${damage.what})`) });
  };

  const convert = (buf: Buffer, final: boolean): Checked => {
    if (utf16) return convertUtf16(buf, final, utf16 === 'be');
    if (decoder) return check(Buffer.from(decoder.decode(buf, { stream: !final }), 'utf8'));
    const data = carry.length > 0 ? Buffer.concat([carry, buf]) : buf;
    const keep = final ? 0 : incompleteTail(data);
    carry = keep > 0 ? Buffer.from(data.subarray(data.length - keep)) : Buffer.alloc(0);
    const text = keep > 0 ? data.subarray(0, data.length - keep) : data;
    return check(text, notUtf8(text));
  };

  /** A bad byte was found while the head had not told the line breaks: later chunks only tell them. */
  let stopping: Stop | undefined;
  function* stopNow(stop: Stop): Generator<Buffer> {
    if (breaks === undefined) breaks = sniff.feed('', true);
    const { out, error } = stop();
    yield* emit(out, true);
    throw error;
  }
  function* after({ out, error, stop }: Checked, final: boolean): Generator<Buffer> {
    if (error) {
      yield* emit(out, true);
      throw error;
    }
    if (stop) {
      if (breaks !== undefined || final) yield* stopNow(stop);
      stopping = stop;
      return;
    }
    yield* emit(out, final);
  }

  for await (const chunk of chunks) {
    if (stopping) {
      breaks = sniff.feed(decoder ? decoder.decode(chunk as Buffer, { stream: true }) : chunk, false);
      if (breaks !== undefined) yield* stopNow(stopping);
      continue;
    }
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (head !== undefined) {
      // Decided on the first chunk (a pipe that stays open may send no more for hours), unless
      // it is a lone start of a BOM.
      head = Buffer.concat([head, buf]);
      if (head.length === 0 || (head.length < 3 && [0xef, 0xff, 0xfe].includes(head[0]!))) continue;
      buf = start(head);
      head = undefined;
    }
    yield* after(convert(buf, false), false);
  }
  if (stopping) yield* stopNow(stopping);
  if (head !== undefined) {
    if (head.length === 0) return;
    yield* after(convert(start(head), true), true);
    return;
  }
  yield* after(convert(Buffer.alloc(0), true), true);
}
