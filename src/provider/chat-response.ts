import type { IncomingMessage } from 'node:http';
import { contentCoding, decodeFailure, decodedBody, undecodableBody } from './content-coding.js';
import type { HeaderSource } from '../types.js';

/** Where a response body's text goes, chunk by chunk; `end` or `error` comes once, last. */
export interface BodySink {
  data(text: string): void;
  end(): void;
  error(err: unknown): void;
}

/**
 * A chat-completions response whose body is not yet read, whichever transport brought it (undici
 * for a direct connection, node:http through a proxy agent).
 */
export interface ChatResponse {
  readonly status: number;
  readonly headers: HeaderSource;
  /** Starts the body's flow into `sink` (once); text that arrived before comes first. */
  read(sink: BodySink): void;
  /** Drops the body unread (a redirect's), freeing the connection. */
  discard(): void;
  /** Stops reading and closes the connection (a failed answer's). */
  cancel(): void;
}

/**
 * What the web-stream bridge threw for a body that closed with neither an end nor an error
 * (`connection failed (ERR_STREAM_PREMATURE_CLOSE)` in a row).
 */
export function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** A sink whose first `end` or `error` is its last call: a stream's end and its close may both say so. */
function onceEnded(sink: BodySink): BodySink {
  let ended = false;
  const last = (call: () => void) => {
    if (ended) return;
    ended = true;
    call();
  };
  return {
    data: (text) => ended || sink.data(text),
    end: () => last(() => sink.end()),
    error: (err) => last(() => sink.error(err)),
  };
}

/** The response headers as the rate limiter and error rows read them, without copying them. */
class IncomingHeaders implements HeaderSource {
  constructor(private readonly raw: IncomingMessage['headers']) {}
  hasPrefix(prefix: string): boolean {
    for (const name in this.raw) if (name.startsWith(prefix)) return true;
    return false;
  }
  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
}

/** A node:http response (the proxy path's) as a {@link ChatResponse}. */
export class IncomingChatResponse implements ChatResponse {
  readonly status: number;
  readonly headers: HeaderSource;

  constructor(private readonly response: IncomingMessage) {
    this.status = response.statusCode ?? 0;
    this.headers = new IncomingHeaders(response.headers);
  }

  read(to: BodySink): void {
    const response = this.response;
    const sink = onceEnded(to);
    const coding = contentCoding(this.headers.get('content-encoding'));
    const refused = undecodableBody(coding, this.status);
    if (refused) {
      response.destroy();
      return void queueMicrotask(() => sink.error(refused));
    }
    const body = decodedBody(response, coding, this.status);
    if (body !== response) body.once('error', (err) => sink.error(decodeFailure(err, coding!)));
    body.setEncoding('utf8');
    body.on('data', (chunk: string) => sink.data(chunk));
    body.once('end', () => sink.end());
    response.once('error', (err) => sink.error(err));
    response.once('close', () => {
      if (!response.complete) sink.error(prematureClose());
    });
  }

  discard(): void {
    this.response.resume();
  }

  cancel(): void {
    this.response.destroy();
  }
}

/**
 * A fetch `Response` (the SDK path's: an injected fetch, `-v` / `--trace`) as a {@link ChatResponse},
 * so that both paths read a body with the same readers (lean-chat.ts). The SDK's own event stream
 * copied and searched the whole unfinished event again with every chunk: an answer sent as one
 * event of 2 MB took half a minute to read, one of 10 MB a quarter of an hour.
 */
export class FetchChatResponse implements ChatResponse {
  readonly status: number;
  readonly headers: HeaderSource;
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  private stopped = false;

  constructor(private readonly response: Response) {
    this.status = response.status;
    this.headers = response.headers;
  }

  read(sink: BodySink): void {
    const body = this.response.body;
    // Fetch decodes what it knows (ours too: http-fetch.ts), and leaves the header: any other coding is bytes.
    const coding = contentCoding(this.headers.get('content-encoding'));
    const refused = undecodableBody(coding, this.status);
    if (refused) {
      this.cancel();
      return void queueMicrotask(() => sink.error(refused));
    }
    if (!body) return void queueMicrotask(() => sink.end());
    const reader = (this.reader = body.getReader());
    // TextDecoder drops a leading byte order mark, as the lean path does before its parser.
    const decoder = new TextDecoder();
    const next = (): void => {
      reader.read().then(
        ({ done, value }) => {
          if (this.stopped) return;
          if (done) {
            const rest = decoder.decode();
            if (rest !== '') sink.data(rest);
            sink.end();
            return;
          }
          sink.data(decoder.decode(value, { stream: true }));
          next();
        },
        (err: unknown) => {
          if (!this.stopped) sink.error(coding === undefined ? err : decodeFailure(err, coding));
        },
      );
    };
    next();
  }

  discard(): void {
    this.cancel();
  }

  cancel(): void {
    if (this.stopped) return;
    this.stopped = true;
    (this.reader ?? this.response.body)?.cancel().catch(() => {});
  }
}
