/** The input formats `readRecords` understands. */
export type InputFormat = 'txt' | 'jsonl' | 'csv' | 'json';

/** What the input is and how its rows become prompts. */
export interface InputOptions {
  /** File path for messages, or `<stdin>`. Every problem message starts with `<source>:<line>:`. */
  source: string;
  format: InputFormat;
  /** e.g. `Summarise: {{title}}`; see `renderTemplate` for the syntax. */
  template?: string;
  /** Prepended as a system message unless the row's messages already start with one. */
  system?: string;
  /** CSV/JSONL column holding the prompt. Default `prompt`; for a CSV with exactly one column, that column. */
  promptField?: string;
  /** Column/key holding the id. Default `id`; JSONL also accepts `custom_id`. */
  idField?: string;
  /** A CSV's field separator: one character other than a quote or a line break (a tab is `'\t'`). Default `,`. */
  csvDelimiter?: string;
  /**
   * The rows go to a CSV, whose UTF-8 has no encoding for a lone UTF-16 surrogate: given ids that
   * differ only there are one id as written (see asWritten), so the second is a duplicate.
   */
  csvIds?: boolean;
  /** --keep-fields: attach the row's fields to each record (`fields`), for the result rows. */
  keepFields?: readonly string[] | 'all';
}

/** Anything that yields the input's bytes or text in order: a Node stream, `process.stdin`, or an async generator. */
export type InputSource = NodeJS.ReadableStream | AsyncIterable<string | Buffer>;

/**
 * What the library's `readRecords` reads, which decodes the bytes itself: an InputSource, or any
 * async iterable of Uint8Array chunks, as a web ReadableStream is (`fetch`'s body, a Blob's stream()):
 * named too, for a consumer whose `lib` has the DOM's ReadableStream, which its types do not make iterable;
 * or the whole input in memory, bytes or text.
 */
export type ByteSource = InputSource | AsyncIterable<string | Uint8Array> | ReadableStream<Uint8Array> | Uint8Array | string;

/** One character that CSV gives no other meaning (a quote, a line break): what --csv-delimiter and `csvDelimiter` take. */
export const usableDelimiter = (d: string): boolean => [...d].length === 1 && d !== '"' && d !== '\n' && d !== '\r';
