import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import type { HeaderSource } from '../types.js';
import type { BodySink, ChatResponse } from './chat-response.js';
import { nodeWording } from './undici-wording.js';

/**
 * POSTs one chat-completions body over undici's dispatcher API (issue 16) and resolves with the
 * response (any status), its body not yet read. undici's parser hands body bytes straight to the
 * handler below: no ClientRequest, IncomingMessage or Readable per request, which is most of what
 * node:http costs (a minimal client: ~125 µs of CPU per short streamed request over node:http,
 * ~75 over undici's dispatcher).
 *
 * Fails with undici's error in node:http's words (`nodeWording`); an abort fails it with
 * `abortError()` before the response and with the signal's reason after it.
 */
export function dispatchChat(
  dispatcher: Dispatcher,
  url: URL,
  headers: string[],
  body: string,
  signal: AbortSignal,
  abortError: () => Error,
  /** What a failure before the response rejects with, given undici's error in node:http's words. */
  failed: (err: unknown, signal: AbortSignal) => unknown = (err) => err,
): Promise<ChatResponse> {
  if (signal.aborted) return Promise.reject(failed(abortError(), signal));
  return new Promise((resolve, reject) => {
    const handler = new DispatchedChat(signal, abortError, resolve, reject, failed);
    // The handler is the listener (its handleEvent): no closure per request.
    signal.addEventListener('abort', handler as unknown as () => void, { once: true });
    const { origin, path } = partsOf(url);
    try {
      dispatcher.dispatch({ origin, path, method: 'POST', headers, body }, handler);
    } catch (err) {
      signal.removeEventListener('abort', handler as unknown as () => void);
      reject(failed(err, signal));
    }
  });
}

let lastUrl: URL | undefined;
let lastParts = { origin: '', path: '' };

/** Every request of a run goes to the same URL object; its getters build new strings per call. */
function partsOf(url: URL): { origin: string; path: string } {
  if (url !== lastUrl) {
    lastParts = { origin: url.origin, path: url.pathname + url.search };
    lastUrl = url;
  }
  return lastParts;
}

/** A status `Response` would refuse (the SDK's fetch then failed): the request fails as a connection error. */
export class StatusOutOfRange extends RangeError {
  constructor(status: number) {
    super(`status ${status} outside 200-599`);
  }
}

class DispatchedChat implements Dispatcher.DispatchHandlers, ChatResponse {
  status = 0;
  headers: HeaderSource = NO_HEADERS;
  private sink: BodySink | undefined;
  private early: string[] | undefined;
  private finished = false;
  private failure: unknown;
  private decoder: StringDecoder | undefined;
  private abortRequest: ((err?: Error) => void) | undefined;
  private abortReason: Error | undefined;
  private responded = false;

  constructor(
    private readonly signal: AbortSignal,
    private readonly abortError: () => Error,
    private readonly resolve: (response: ChatResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly failed: (err: unknown, signal: AbortSignal) => unknown,
  ) {}

  /** The signal's abort (this object is its listener: no closure per request). */
  handleEvent(): void {
    const reason = this.responded ? toError(this.signal.reason) : this.abortError();
    this.abort(reason);
  }

  private abort(reason: Error): void {
    if (this.abortRequest) {
      this.abortRequest(reason);
      return;
    }
    // Not on a connection yet (one still opening, to an unreachable host say, or none free):
    // undici has no way to drop it before it takes it (onConnect), so the attempt fails now, and
    // the request is dropped then. A connection that never opens goes when the pool is closed.
    this.abortReason = reason;
    this.signal.removeEventListener('abort', this as unknown as () => void);
    this.reject(this.failed(reason, this.signal));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.abortReason) abort(this.abortReason);
  }

  onHeaders(status: number, raw: Buffer[]): boolean {
    if (status < 200) return true; // 1xx: the real response follows
    this.responded = true;
    this.status = status;
    this.headers = new RawHeaders(raw);
    if (status > 599) {
      this.responded = false;
      this.abort(new StatusOutOfRange(status));
      return false;
    }
    this.resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.decoder ??= new StringDecoder('utf8');
    const text = this.decoder.write(chunk);
    if (text !== '') this.pass(text);
    return true;
  }

  onComplete(): void {
    const rest = this.decoder?.end() ?? '';
    if (rest !== '') this.pass(rest);
    this.finished = true;
    this.signal.removeEventListener('abort', this as unknown as () => void);
    this.sink?.end();
  }

  onError(err: Error): void {
    this.signal.removeEventListener('abort', this as unknown as () => void);
    if (!this.responded) {
      this.reject(this.failed(nodeWording(err, false), this.signal));
      return;
    }
    if (this.finished || this.failure !== undefined) return;
    this.failure = nodeWording(err, true);
    this.sink?.error(this.failure);
  }

  read(sink: BodySink): void {
    this.sink = sink;
    const early = this.early;
    this.early = undefined;
    if (early) for (const text of early) sink.data(text);
    if (this.failure !== undefined) sink.error(this.failure);
    else if (this.finished) sink.end();
  }

  discard(): void {
    if (!this.sink) this.read(IGNORE);
  }

  cancel(): void {
    if (!this.finished && this.failure === undefined) this.abort(new Error('cancelled'));
  }

  private pass(text: string): void {
    if (this.sink) this.sink.data(text);
    else (this.early ??= []).push(text);
  }
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

const IGNORE: BodySink = { data() {}, end() {}, error() {} };
const NO_HEADERS: HeaderSource = { get: () => null };

/**
 * undici's raw `[name, value, …]` header bytes, searched per question: a response is asked for
 * seven names or so (its type, the rate-limit headers) of which most are absent, so names are
 * matched byte by byte against the question and only a found value becomes a string. Decoding
 * every header into a map per response (two strings and an entry per header) cost more, and all
 * of it outlived the row often enough to reach the old generation.
 */
class RawHeaders implements HeaderSource {
  constructor(private readonly raw: Buffer[]) {}
  get(name: string): string | null {
    const wanted = name.toLowerCase();
    const raw = this.raw;
    let found: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!sameName(raw[i]!, wanted)) continue;
      const value = raw[i + 1]!.toString('latin1');
      // Repeated headers joined, as node:http does (set-cookie aside, which no one here reads).
      found = found === null ? value : `${found}, ${value}`;
    }
    return found;
  }
}

/** Whether header name bytes spell `lower` (lower-case ASCII), in any case. */
function sameName(bytes: Buffer, lower: string): boolean {
  const n = lower.length;
  if (bytes.length !== n) return false;
  for (let j = 0; j < n; j++) {
    let c = bytes[j]!;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(j)) return false;
  }
  return true;
}
