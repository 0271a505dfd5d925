import type { BatchEvent } from '../events.js';
import type { ResultRow } from '../types.js';

export interface AnswerPrinterOptions {
  /** Writes text to the terminal (through the progress bar's log when one is shown). */
  write: (text: string) => void;
  color: boolean;
  /** Terminal width for the header rule. */
  columns?: number;
}

const dim = (on: boolean, s: string) => (on ? `\x1b[2m${s}\x1b[22m` : s);
const red = (on: boolean, s: string) => (on ? `\x1b[31m${s}\x1b[39m` : s);
const bold = (on: boolean, s: string) => (on ? `\x1b[1m${s}\x1b[22m` : s);

/**
 * Prints answers for a person at a terminal while several stream at once. One answer streams
 * live; the others collect silently and are printed whole when it is their turn, so lines never
 * interleave. A retried stream restarts visibly instead of silently doubling text.
 */
export class AnswerPrinter {
  private live: string | undefined;
  /** In-flight answers waiting for their turn, by id: text so far. */
  private readonly pending = new Map<string, { prompt?: string; text: string }>();
  private readonly finished: ResultRow[] = [];
  private liveAtLineStart = true;

  constructor(private readonly options: AnswerPrinterOptions) {}

  private header(id: string, prompt: string | undefined): string {
    const width = Math.max(20, Math.min(this.options.columns ?? 80, 120));
    const label = `── [${id}] ${(prompt ?? '').replace(/\s+/g, ' ')}`;
    const text = label.length > width - 1 ? `${label.slice(0, width - 2)}…` : label;
    return `${bold(this.options.color, text)}\n`;
  }

  private out(text: string): void {
    if (text.length === 0) return;
    this.options.write(text);
    this.liveAtLineStart = text.endsWith('\n');
  }

  event(event: BatchEvent): void {
    if (event.type === 'attempt') {
      const entry = this.pending.get(event.id);
      if (event.attempt > 1 && this.live === event.id) {
        this.out(`${this.liveAtLineStart ? '' : '\n'}${dim(this.options.color, `(attempt ${event.attempt}, restarting the answer)`)}\n`);
      } else if (entry) {
        entry.text = '';
        entry.prompt = event.prompt;
      } else if (this.live !== event.id) {
        this.pending.set(event.id, { prompt: event.prompt, text: '' });
      }
      return;
    }
    if (event.type !== 'delta') return;
    if (this.live === undefined) this.takeLive(event.id);
    if (this.live === event.id) this.out(event.text);
    else {
      const entry = this.pending.get(event.id) ?? { text: '' };
      entry.text += event.text;
      this.pending.set(event.id, entry);
    }
  }

  private takeLive(id: string): void {
    const entry = this.pending.get(id);
    this.pending.delete(id);
    this.live = id;
    this.out(this.header(id, entry?.prompt));
    if (entry?.text) this.out(entry.text);
  }

  /** A finished row: ends the live answer, or prints a finished one whole. */
  async write(row: ResultRow): Promise<void> {
    const { color } = this.options;
    if (this.live === row.id) {
      if (row.error) this.out(`${this.liveAtLineStart ? '' : '\n'}${red(color, `✗ ${row.error.type}: ${row.error.message}`)}\n`);
      this.out(this.liveAtLineStart ? '\n' : '\n\n');
      this.live = undefined;
      this.flushFinished();
      // Hand the screen to the answer that has come furthest.
      let next: string | undefined;
      let best = -1;
      for (const [id, entry] of this.pending) {
        if (entry.text.length > best) {
          best = entry.text.length;
          next = id;
        }
      }
      if (next !== undefined && best > 0) this.takeLive(next);
      return;
    }
    this.pending.delete(row.id);
    this.finished.push(row);
    // While one answer streams, finished ones wait for it to end rather than cut into it.
    if (this.live === undefined) this.flushFinished();
  }

  private flushFinished(): void {
    const { color } = this.options;
    for (const row of this.finished.splice(0)) {
      this.out(this.header(row.id, row.prompt));
      if (row.error) this.out(`${red(color, `✗ ${row.error.type}: ${row.error.message}`)}\n\n`);
      else this.out(`${row.response ?? ''}\n\n`);
    }
  }

  async close(): Promise<void> {
    if (!this.liveAtLineStart) this.out('\n');
    this.flushFinished();
  }
}
