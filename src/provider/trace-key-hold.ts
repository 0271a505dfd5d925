import { holdsKey, keySpans, keyStartAtEnd, withoutSpans } from './key-spans.js';

/** The answer text a line of a response carries: the raw JSON string after its first text field's name. */
interface Piece {
  /** The field's `"name":"` (see TEXT_FIELDS). */
  field: string;
  raw: string;
  text: string;
}

interface Held {
  /** Undefined: text already written (see MAX_HELD), kept to match what follows. */
  line?: string;
  piece?: Piece;
}

/** Lines held at most while an answer's text ends in the key's first characters (events without text pile up behind). */
export const MAX_HELD = 64;

/**
 * The fields whose text a server streams in pieces: the answer's, a function call's arguments, a
 * reasoning model's thoughts, a refusal. A key in any of them may come split over events.
 */
const TEXT_FIELDS = ['"content":"', '"arguments":"', '"reasoning_content":"', '"reasoning":"', '"refusal":"'];

/**
 * The trace lines of one response, held back while the answer text streamed so far could be the
 * start of the key: each line goes through the redactor alone, so a key spread over several events
 * (`"content":"sk-"`, `"LEA"`, `"KCH"`…) would be written in pieces. Once the key is whole in the
 * held text, those lines are written with their pieces (in `content`, and a logprobs `token` equal
 * to it) replaced, `[redacted]` where it starts and nothing after, and their `bytes` emptied; once
 * the text goes another way, as they were. More than MAX_HELD lines while it is still open: they are
 * written with that open tail as `[redacted]`, and what follows is matched on against it.
 *
 * The text is that of every field a server streams in pieces (TEXT_FIELDS), in the order the lines
 * bring it: a key split over a function call's arguments is held as one split over the answer's.
 *
 * Per line, with no key in sight: an `indexOf` of each text field's name, a scan of the piece to its
 * closing quote, and one `indexOf` of the key's first character in the piece's last characters.
 */
export class KeyHold {
  private held: Held[] = [];

  constructor(private readonly key: string) {}

  /** The lines that can be written now, `line` or earlier ones, in order. */
  push(line: string): string[] {
    const piece = contentPiece(line);
    if (this.held.length === 0 && (piece === undefined || !this.mayHoldKey(piece.text))) return [line];
    this.held.push({ line, piece });
    return this.release(false);
  }

  /** The end of the response: every line still held. */
  end(): string[] {
    return this.release(true);
  }

  /** Whether `text` holds the key, or ends in what may be its start. */
  private mayHoldKey(text: string): boolean {
    return holdsKey(text, this.key) || keyStartAtEnd(text, this.key) > 0;
  }

  private release(all: boolean): string[] {
    const text = this.held.map((h) => h.piece?.text ?? '').join('');
    const spans = keySpans(text, this.key);
    let open = all ? text.length : text.length - keyStartAtEnd(text, this.key);
    const overflow = !all && open < text.length && this.held.length > MAX_HELD;
    // Too many lines for a key that may yet come: the open tail is written as [redacted], and kept.
    if (overflow) {
      spans.push([open, text.length]);
      open = text.length;
    }
    const out: string[] = [];
    let start = 0;
    let kept = 0;
    for (const h of this.held) {
      const end = start + (h.piece?.text.length ?? 0);
      if (end > open) break;
      if (h.line !== undefined) out.push(h.piece ? rewritten(h.line, h.piece, text, start, end, spans) : h.line);
      start = end;
      kept++;
    }
    this.held = this.held.slice(kept);
    // A key that ended inside the first line kept (it ends in what may start another: `…pqr us`):
    // its part of that line goes now, or the next line's text, joined to it alone, finds no key
    // there and writes `qr` out with it.
    const first = this.held[0];
    const end = first?.piece ? start + first.piece.text.length : start;
    const cut = spans.filter(([from, to]) => from < end && to > start);
    if (first?.line !== undefined && first.piece && cut.length > 0) {
      const rest = withoutSpans(text, start, end, cut);
      first.line = rewritten(first.line, first.piece, text, start, end, cut);
      first.piece = { field: first.piece.field, raw: JSON.stringify(rest).slice(1, -1), text: rest };
    }
    // Written, but what follows may yet finish the key: its start is kept to match against.
    if (overflow) this.held = [{ piece: { field: '', raw: '', text: text.slice(spans.at(-1)![0]) } }];
    return out;
  }
}

/** `line` with its piece of the text `[start, end)` without the parts in `spans`, and no `bytes` then. */
function rewritten(line: string, piece: Piece, text: string, start: number, end: number, spans: ReadonlyArray<readonly [number, number]>): string {
  const cut = spans.filter(([from, to]) => from < end && to > start);
  if (cut.length === 0) return line;
  const next = JSON.stringify(withoutSpans(text, start, end, cut));
  return line
    .replaceAll(`${piece.field}${piece.raw}"`, `${piece.field.slice(0, -1)}${next}`)
    .replaceAll(`"token":"${piece.raw}"`, `"token":${next}`)
    .replace(/"bytes":\[[^\]]*\]/g, '"bytes":[]');
}

/**
 * The text a line carries (an SSE event's `delta.content`, a whole body's `message.content`, a
 * function call's `arguments`…): its first text field's, if it has one.
 */
function contentPiece(line: string): Piece | undefined {
  let at = -1;
  let field = '';
  for (const name of TEXT_FIELDS) {
    const found = line.indexOf(name);
    if (found >= 0 && (at < 0 || found < at)) {
      at = found;
      field = name;
    }
  }
  if (at < 0) return undefined;
  const from = at + field.length;
  let to = from;
  let escaped = false;
  for (; to < line.length; to++) {
    const c = line.charCodeAt(to);
    if (c === 0x22) break;
    if (c === 0x5c) {
      escaped = true;
      to++;
    }
  }
  const raw = line.slice(from, to);
  if (!escaped) return { field, raw, text: raw };
  try {
    return { field, raw, text: JSON.parse(`"${raw}"`) as string };
  } catch {
    return { field, raw, text: raw };
  }
}
