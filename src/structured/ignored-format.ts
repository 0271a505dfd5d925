import { stripFence } from './strip-fence.js';

/** How many rows' answers, all plain text and none valid before them, tell a server that ignores response_format. */
export const PLAIN_ROWS_TO_STOP = 3;

const IGNORED = 'the server ignored response_format';

/**
 * Watches a run's first answers to requests that sent response_format. A server that refuses it
 * answers 400 and the run stops at once; one that silently ignores it answers in free text, and
 * every row would be paid for 1 + --schema-retries times before ending `invalid_output`. A server
 * that honours it (strict json_schema, json_object) never answers prose, so when the first
 * PLAIN_ROWS_TO_STOP rows' answers are all text that does not even start as JSON, the run stops as
 * after a 400. Conservative: one valid answer, or one that is JSON at all (if not the schema's), and
 * the watch is over for the run; an empty answer or a refusal says nothing either way.
 */
export class IgnoredFormatWatch {
  private readonly rows = new Set<unknown>();
  private over = false;
  private first = '';

  /** Notes one answer of the row `row` (any value that tells rows apart); the stop's message once the first rows all came back as plain text. */
  answer(row: unknown, text: string, valid: boolean): string | undefined {
    if (this.over) return undefined;
    const shown = stripFence(text).trim();
    if (shown === '' && !valid) return undefined;
    if (valid || !isPlainText(shown)) {
      this.over = true;
      return undefined;
    }
    if (this.rows.size === 0) this.first = shown;
    this.rows.add(row);
    if (this.rows.size < PLAIN_ROWS_TO_STOP) return undefined;
    this.over = true;
    const quoted = this.first.length > 60 ? `${this.first.slice(0, 60)}…` : this.first;
    return `${IGNORED}: the first ${PLAIN_ROWS_TO_STOP} rows were answered in plain text, not JSON (${JSON.stringify(quoted.replace(/\s+/g, ' '))})`;
  }

  /** A valid answer came another way (the cache): the server honours response_format, or did. */
  honoured(): void {
    this.over = true;
  }
}

/** Text that is no JSON value at all, nor the start of an object or array (a cut or broken one). */
function isPlainText(text: string): boolean {
  if (/^[[{]/.test(text)) return false;
  try {
    JSON.parse(text);
    return false; // `null`, `42`, `"a"`: JSON, if not what was asked
  } catch {
    return true;
  }
}

/** Whether a response_format stop's message is the watch's (the server ignored it), not a 400's (it refused it). */
export const ignoredFormat = (message: string): boolean => message.startsWith(IGNORED);
