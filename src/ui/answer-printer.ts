import type { BatchEvent, MatrixCell } from '../engine/events.js';
import type { RowWriter } from '../output/index.js';
import type { ResultRow } from '../types.js';
import { answerLabel, matrixCell } from '../output/text-encode.js';
import { oneLineId } from '../util/one-line.js';
import { shownAnswer, toAscii } from './plain-text.js';
import { RowWrapper, sanitize, truncate, wrapRows } from './terminal-text.js';

export interface AnswerPrinterOptions {
  /** Writes text to the terminal (clearing and redrawing the status line around it when there is one). */
  write: (text: string) => void;
  color: boolean;
  /** Terminal width, read at each use (terminals resize); 0 or undefined means 80. */
  columns?: number | (() => number | undefined);
  /**
   * Write only whole rows, word-wrapped at the width: for a terminal that stderr shares (a progress
   * bar, messages), so the cursor always rests at the start of a row and nothing lands mid-answer.
   * Without it, streamed text goes out exactly as it arrives.
   */
  wholeRows?: boolean;
  /**
   * Rows come in input order (`--order input`): only the earliest answer not yet printed streams
   * live, the others collect until it is their turn, so the screen shows them in input order too.
   */
  inputOrder?: boolean;
  /**
   * A locale that is not UTF-8: ASCII stand-ins in what the printer itself draws (`--` headers, `x`
   * for a failure), and `?` for a control character in the answers too.
   */
  ascii?: boolean;
}

const dim = (on: boolean, s: string) => (on ? `\x1b[2m${s}\x1b[22m` : s);
const red = (on: boolean, s: string) => (on ? `\x1b[31m${s}\x1b[39m` : s);
const bold = (on: boolean, s: string) => (on ? `\x1b[1m${s}\x1b[22m` : s);

/**
 * Prints answers for a person at a terminal while several stream at once. One answer streams
 * live; the others collect silently and are printed whole when it is their turn, so lines never
 * interleave. A retried stream restarts visibly instead of silently doubling text. Answer text is
 * sanitized: a model's escape sequences are shown, not executed.
 */
export class AnswerPrinter implements RowWriter {
  private live: string | undefined;
  /** In-flight answers waiting for their turn, by answer key: what their header says, text so far. */
  private readonly pending = new Map<string, { label: string; prompt?: string; text: string }>();
  private readonly finished: ResultRow[] = [];
  /** Whether what has been written so far ends with a newline. */
  private atLineStart = true;
  private readonly wrapper: RowWrapper | undefined;
  /** With `inputOrder`: answers sent and not yet printed, by their place in the input. */
  private readonly queue: Array<{ key: string; seq: number }> = [];
  /**
   * Rows written so far: in input order they come one per place, so the place of the next one. An
   * answer may go live only when it is that one: a row never sent (a cached answer, an input error)
   * has no attempt, and may still be due before it.
   */
  private written = 0;

  constructor(private readonly options: AnswerPrinterOptions) {
    if (options.wholeRows) this.wrapper = new RowWrapper(() => this.columns());
  }

  private columns(): number {
    const c = typeof this.options.columns === 'function' ? this.options.columns() : this.options.columns;
    return c && c > 0 ? c : 80;
  }

  private header(id: string, prompt: string | undefined): string {
    const width = Math.max(20, Math.min(this.columns(), 120));
    const label = `── [${sanitize(oneLineId(id))}] ${sanitize(prompt ?? '')
      .replace(/\s+/g, ' ')
      .trim()}`;
    // In ASCII the ellipsis of a cut label takes three columns, not one.
    const fitted = this.options.ascii ? toAscii(truncate(label, width - 3)) : truncate(label, width - 1);
    return bold(this.options.color, fitted);
  }

  /**
   * A failed row's line: `✗ http: HTTP 400: …`. In whole rows it is word-wrapped as answer text is:
   * an error body runs long, and the terminal would cut it mid-word. Wrapped before it is coloured,
   * so that the colour's escapes take no room.
   */
  private failure(error: NonNullable<ResultRow['error']>): string {
    const text = `✗ ${error.type}: ${sanitize(error.message)}`;
    const line = this.options.ascii ? toAscii(text) : text;
    return red(this.options.color, this.wrapper ? wrapRows(line, this.columns()) : line);
  }

  private emit(text: string): void {
    if (text.length === 0) return;
    this.options.write(text);
    this.atLineStart = text.endsWith('\n');
  }

  /** Answer text: wrapped into whole rows, or as it comes; in ASCII, a control character as `?`. */
  private text(text: string): void {
    const clean = shownAnswer(text, this.options.ascii === true);
    this.emit(this.wrapper ? this.wrapper.push(clean) : clean);
  }

  /** Ends the answer text's last row. */
  private endText(): void {
    if (this.wrapper) this.emit(this.wrapper.flush());
    if (!this.atLineStart) this.emit('\n');
  }

  /** A line of its own (a header, a notice), never glued to answer text. */
  private line(text: string): void {
    this.endText();
    this.emit(`${text}\n`);
  }

  event(event: BatchEvent): void {
    if (event.type !== 'attempt' && event.type !== 'delta') return;
    const key = answerKey(event.id, event.cell);
    if (event.type === 'attempt') {
      const entry = this.pending.get(key);
      if (event.attempt > 1 && this.live === key) {
        this.line(dim(this.options.color, `(attempt ${event.attempt}, restarting the answer)`));
      } else if (entry) {
        entry.text = '';
        entry.prompt = event.prompt;
      } else if (this.live !== key) {
        this.pending.set(key, { label: answerLabel(event.id, event.cell), prompt: event.prompt, text: '' });
      }
      if (this.options.inputOrder && !this.queue.some((q) => q.key === key)) this.enqueue(key, event.seq);
      return;
    }
    if (this.live === undefined && this.mayGoLive(key)) this.takeLive(key);
    if (this.live === key) this.text(event.text);
    else {
      const entry = this.pending.get(key) ?? { label: answerLabel(event.id, event.cell), text: '' };
      entry.text += event.text;
      this.pending.set(key, entry);
    }
  }

  private enqueue(key: string, seq: number): void {
    const at = this.queue.findIndex((q) => q.seq > seq);
    this.queue.splice(at < 0 ? this.queue.length : at, 0, { key, seq });
  }

  /** In input order only the answer whose row is next may stream; else the first to speak. */
  private mayGoLive(id: string): boolean {
    if (!this.options.inputOrder) return true;
    const head = this.queue[0];
    return head !== undefined && head.key === id && head.seq === this.written;
  }

  /** The answer to stream next: in input order the one whose row is next, else the one that has come furthest. */
  private nextLive(): string | undefined {
    if (this.options.inputOrder) {
      const head = this.queue[0]?.key;
      return head !== undefined && this.mayGoLive(head) && (this.pending.get(head)?.text.length ?? 0) > 0 ? head : undefined;
    }
    let next: string | undefined;
    let best = 0;
    for (const [id, entry] of this.pending) {
      if (entry.text.length > best) {
        best = entry.text.length;
        next = id;
      }
    }
    return next;
  }

  private takeLive(key: string): void {
    const entry = this.pending.get(key);
    this.pending.delete(key);
    this.live = key;
    this.line(this.header(entry?.label ?? key, entry?.prompt));
    if (entry?.text) this.text(entry.text);
  }

  /** A finished row: ends the live answer, or prints a finished one whole. */
  async write(row: ResultRow): Promise<void> {
    const key = rowKey(row);
    const queued = this.queue.findIndex((q) => q.key === key);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.written++;
    if (this.live === key) {
      if (row.error) this.line(this.failure(row.error));
      this.endText();
      this.emit('\n');
      this.live = undefined;
      this.flushFinished();
      // Hand the screen to the next answer that has something to show.
      const next = this.nextLive();
      if (next !== undefined) this.takeLive(next);
      return;
    }
    this.pending.delete(key);
    this.finished.push(row);
    // While one answer streams, finished ones wait for it to end rather than cut into it.
    if (this.live === undefined) {
      this.flushFinished();
      // In input order the answer now first may have collected text while it waited.
      const next = this.options.inputOrder ? this.nextLive() : undefined;
      if (next !== undefined) this.takeLive(next);
    }
  }

  private flushFinished(): void {
    for (const row of this.finished.splice(0)) {
      this.line(this.header(rowLabel(row), row.prompt));
      if (row.error) this.line(this.failure(row.error));
      else this.text(row.response ?? '');
      this.endText();
      this.emit('\n');
    }
  }

  /**
   * The run is over. An answer still streaming then was cut off (a stop, a closed output): it gets
   * no row, and on the screen it says so rather than pass for a whole answer.
   */
  async close(): Promise<void> {
    if (this.live !== undefined) {
      this.line(dim(this.options.color, '(cut off: the run stopped before this answer was complete)'));
      this.emit('\n');
      this.live = undefined;
    }
    this.endText();
    this.flushFinished();
  }
}

/** Tells apart the answers to one prompt in a matrix run (several models, --repeat): the id alone does not. */
function answerKey(id: string, cell: MatrixCell | undefined): string {
  return cell ? `${id}\u0000${cell.model}\u0000${cell.sample}` : id;
}

const rowKey = (row: ResultRow) => answerKey(row.id, matrixCell(row));
const rowLabel = (row: ResultRow) => answerLabel(row.id, matrixCell(row));
