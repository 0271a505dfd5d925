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
    let pending = '';
    const hold = key === undefined ? undefined : new KeyHold(key);
    const flushLines = (final: boolean) => {
      const parts = pending.split('\n');
      pending = final ? '' : (parts.pop() ?? '');
      let lines = parts.filter((l) => l.trim() !== '').map((l) => l.replace(/\r$/, ''));
      if (hold) {
        const ready: string[] = [];
        for (const line of lines) ready.push(...hold.push(line));
        if (final) ready.push(...hold.end());
        lines = ready;
      }
      if (lines.length > 0) emit(lines.map((l) => `${tag} < ${l}`));
    };
    const logged = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          pending += decoder.decode(chunk, { stream: true });
          flushLines(false);
          controller.enqueue(chunk);
        },
        flush() {
          pending += decoder.decode();
          flushLines(true);
          emit([`${tag} < (end of body, ${Math.round(now() - started)} ms)`]);
        },
      }),
    );
    return new Response(logged, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
