import type { IncomingMessage } from 'node:http';
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

/** The response headers as the rate limiter and error rows read them, without copying them. */
class IncomingHeaders implements HeaderSource {
  constructor(private readonly raw: IncomingMessage['headers']) {}
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

  read(sink: BodySink): void {
    const response = this.response;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => sink.data(chunk));
    response.once('end', () => sink.end());
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
