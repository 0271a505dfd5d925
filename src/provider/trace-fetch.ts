import { isPlaceholder } from '../redact.js';
import { KeyHold } from './trace-key-hold.js';

/**
 * `-v` / `--trace FILE`: every request and its raw response, as `curl -v` shows them, for the day a
 * server misbehaves. Lines are tagged `#N` (requests run concurrently and interleave), credentials
 * never appear: Authorization and api-key headers are replaced, and every line goes through the
 * run's redactor (a server may echo the key in an error body). A streamed body is logged as it
 * passes, chunk by chunk, without delaying or buffering it; only its trace lines wait while the
 * answer streamed so far may be spelling the key, event by event (see KeyHold).
 */

const SECRET_HEADERS = new Set(['authorization', 'api-key', 'proxy-authorization', 'x-api-key']);

export interface TraceOptions {
  /** Writes whole lines (each ends with a newline). */
  write: (text: string) => void;
  redact: (text: string) => string;
  /** The API key, which an answer may spread over several events: see KeyHold. None: lines go as they come. */
  apiKey?: string;
  now?: () => number;
  /** Before each request's number (`#b1`): a second transport logging into the same trace stays apart. @default '' */
  tagPrefix?: string;
}

function headerLines(tag: string, arrow: string, headers: Headers): string[] {
  const lines: string[] = [];
  headers.forEach((value, name) => {
    lines.push(`${tag} ${arrow} ${name}: ${SECRET_HEADERS.has(name.toLowerCase()) ? '[redacted]' : value}`);
  });
  return lines;
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  if (body === undefined || body === null) return '';
  // A Batch API upload: the request file, multipart-encoded as it is read. Not logged (it is on disk, and up to 200 MB).
  if (body instanceof ReadableStream) return '(a streamed body: not logged)';
  return `[${Object.prototype.toString.call(body)}]`;
}

/**
 * A body's text cut into its non-blank lines (a trailing `\r` dropped), chunk by chunk. Only the new
 * text is searched, and a line still open is kept as its pieces, joined once it ends: an answer sent
 * as one event of megabytes, in kilobyte chunks, took time quadratic in its size (1 MB: seconds;
 * 10 MB: a quarter of an hour) when the whole open line was split again with every chunk.
 */
export class LineSplitter {
  private open: string[] = [];

  /** The lines `text` ends; `final`: the body ended, and its last line with it. */
  push(text: string, final: boolean): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.add(lines, text.slice(start, nl));
      start = nl + 1;
    }
    const rest = text.slice(start);
    if (final) this.add(lines, rest);
    else if (rest !== '') this.open.push(rest);
    return lines;
  }

  private add(lines: string[], end: string): void {
    let line = end;
    if (this.open.length > 0) {
      this.open.push(end);
      line = this.open.join('');
      this.open = [];
    }
    if (line.trim() !== '') lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}

export function withTrace(fetchFn: typeof fetch, options: TraceOptions): typeof fetch {
  const now = options.now ?? (() => performance.now());
  // A placeholder key (`ollama`) is no secret, and is scrubbed only as a word of its own.
  const key = options.apiKey && options.apiKey.length >= 4 && !isPlaceholder(options.apiKey) ? options.apiKey : undefined;
  let seq = 0;
  const emit = (lines: string[]) => options.write(options.redact(`${lines.join('\n')}\n`));
  return async (input, init) => {
    const tag = `#${options.tagPrefix ?? ''}${++seq}`;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const started = now();
    emit([
      `${tag} > ${init?.method ?? 'GET'} ${url}`,
      ...headerLines(tag, '>', new Headers(init?.headers)),
      ...bodyText(init?.body)
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => `${tag} > ${l}`),
    ]);
    let response: Response;
    try {
      response = await fetchFn(input, init);
    } catch (err) {
      emit([`${tag} ! ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (${Math.round(now() - started)} ms)`]);
      throw err;
    }
    emit([
      `${tag} < ${`${response.status} ${response.statusText}`.trim()} (${Math.round(now() - started)} ms to headers)`,
      ...headerLines(tag, '<', response.headers),
    ]);
    if (!response.body) return response;
    const decoder = new TextDecoder();
    const lines = new LineSplitter();
    const hold = key === undefined ? undefined : new KeyHold(key);
    const flushLines = (text: string, final: boolean) => {
      let ready = lines.push(text, final);
      if (hold) {
        const held: string[] = [];
        for (const line of ready) held.push(...hold.push(line));
        if (final) held.push(...hold.end());
        ready = held;
      }
      if (ready.length > 0) emit(ready.map((l) => `${tag} < ${l}`));
    };
    const logged = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          flushLines(decoder.decode(chunk, { stream: true }), false);
          controller.enqueue(chunk);
        },
        flush() {
          flushLines(decoder.decode(), true);
          emit([`${tag} < (end of body, ${Math.round(now() - started)} ms)`]);
        },
      }),
    );
    return new Response(logged, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
