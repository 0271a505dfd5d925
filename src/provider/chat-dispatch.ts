import type { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import type { HeaderSource } from '../types.js';
import type { BodySink, ChatResponse } from './chat-response.js';
import type { AbortSource, AbortState } from './completion.js';
import { unsendableHeader } from './sendable-headers.js';
import { nodeWording } from './undici-wording.js';
import { contentCoding, decodeFailure, decodedCoding, decompressor, errorStatus, undecodableBody } from './content-coding.js';

/**
 * POSTs one chat-completions body over undici's dispatcher API (issue 16) and resolves with the
 * response (any status), its body not yet read. undici's parser hands body bytes straight to the
 * handler below: no ClientRequest, IncomingMessage or Readable per request, which is most of what
 * node:http costs (a minimal client: ~125 µs of CPU per short streamed request over node:http,
 * ~75 over undici's dispatcher).
 *
 * Fails with undici's error in node:http's words (`nodeWording`); an abort fails it with
 * `abortError()` before the response and with its reason after it. A header undici would
 * refuse fails it without handing it to undici (sendable-headers.ts: such a refusal stalled the pool).
 */
export function dispatchChat(
  dispatcher: Dispatcher,
  url: URL,
  headers: string[],
  body: string,
  /** The attempt's watch (AttemptContext.aborts), told of its abort without a listener, or else its signal. */
  abort: AbortSource,
  abortError: () => Error,
  /** What a failure before the response rejects with, given undici's error in node:http's words. */
  failed: (err: unknown, abort: AbortState) => unknown = (err) => err,
): Promise<ChatResponse> {
  if (abort.aborted) return Promise.reject(failed(abortError(), abort));
  if (headers !== lastSendable) {
    // Every request of a run carries the same list (chat-post.ts makes it once): checked once.
    const unsendable = unsendableHeader(headers);
    if (unsendable) return Promise.reject(failed(unsendable, abort));
    lastSendable = headers;
  }
  return new Promise((resolve, reject) => {
    const handler = new DispatchedChat(abort, abortError, resolve, reject, failed);
    handler.listen();
    const { origin, path } = partsOf(url);
    try {
      dispatcher.dispatch({ origin, path, method: 'POST', headers, body }, handler);
    } catch (err) {
      handler.unlisten();
      reject(failed(err, abort));
    }
  });
}

/** The last header list found sendable (a refused one is checked again: it fails every time). */
let lastSendable: string[] | undefined;
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
  /** A body sent compressed, unasked (see content-coding.ts): its bytes go through this first. */
  private inflater: Transform | undefined;

  constructor(
    private readonly abortSource: AbortSource,
    private readonly abortError: () => Error,
    private readonly resolve: (response: ChatResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly failed: (err: unknown, abort: AbortState) => unknown,
  ) {}

  /** Hears of the attempt's abort: from its watch, else as the signal's listener (no closure per request either way). */
  listen(): void {
    const source = this.abortSource;
    if ('watch' in source) source.watch(this);
    else source.addEventListener('abort', this as unknown as () => void, { once: true });
  }

  unlisten(): void {
    const source = this.abortSource;
    if ('watch' in source) source.unwatch(this);
    else source.removeEventListener('abort', this as unknown as () => void);
  }

  /** The attempt's abort. */
  handleEvent(): void {
    const reason = this.responded ? toError(this.abortSource.reason) : this.abortError();
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
    this.unlisten();
    this.reject(this.failed(reason, this.abortSource));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.abortReason) abort(this.abortReason);
  }

  onHeaders(status: number, raw: Buffer[]): boolean {
    if (status < 200) return true; // 1xx: the real response follows
    this.responded = true;
    this.status = status;
    this.headers = raw.length > 0 ? new RawHeaders(raw) : NO_HEADERS;
    if (status > 599) {
      this.responded = false;
      this.abort(new StatusOutOfRange(status));
      return false;
    }
    const coding = contentCoding(this.headers.get('content-encoding'));
    if (coding !== undefined) {
      this.failure = undecodableBody(coding, status);
      if (this.failure === undefined && decodedCoding(coding)) this.decompress(coding, errorStatus(status));
    }
    this.resolve(this);
    // A coding nothing decodes: the body is not read.
    if (this.failure !== undefined) this.abortRequest?.(toError(this.failure));
    return true;
  }

  /**
   * Bytes in `coding` become text as they are decompressed; the body ends when the decompressor does.
   * `lenient`, for an error status: its status decides the attempt, so a body that fails to decode
   * ends where it failed (as content-coding.ts's decodedBody).
   */
  private decompress(coding: string, lenient: boolean): void {
    const inflater = (this.inflater = decompressor(coding));
    inflater.on('data', (chunk: Buffer) => this.text(chunk));
    inflater.once('end', () => this.complete());
    inflater.once('error', (err) => {
      if (this.finished || this.failure !== undefined) return;
      if (lenient) {
        this.complete();
        return;
      }
      this.failure = decodeFailure(err, coding);
      this.unlisten();
      this.sink?.error(this.failure);
      this.abortRequest?.(toError(this.failure));
    });
  }

  onData(chunk: Buffer): boolean {
    if (this.inflater) this.inflater.write(chunk);
    else if (this.failure === undefined) this.text(chunk);
    return true;
  }

  private text(chunk: Buffer): void {
    // A chunk that ends in ASCII (an SSE event's newline, a JSON body's brace) ends no character
    // halfway: decoded as it is, without a decoder per response; one is made on the first chunk that might.
    const decoder = this.decoder ?? (chunk.length > 0 && chunk[chunk.length - 1]! < 0x80 ? undefined : (this.decoder = new StringDecoder('utf8')));
    const text = decoder ? decoder.write(chunk) : chunk.toString('utf8');
    if (text !== '') this.pass(text);
  }

  onComplete(): void {
    if (this.inflater) this.inflater.end();
    else this.complete();
  }

  private complete(): void {
    if (this.failure !== undefined) return;
    const rest = this.decoder?.end() ?? '';
    if (rest !== '') this.pass(rest);
    this.finished = true;
    this.unlisten();
    this.sink?.end();
  }

  onError(err: Error): void {
    this.unlisten();
    if (!this.responded) {
      this.reject(this.failed(nodeWording(err, false), this.abortSource));
      return;
    }
    this.inflater?.destroy();
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
    this.inflater?.destroy();
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
 * undici's raw `[name, value, …]` header bytes, kept as one view with the bounds of each name and
 * value, and searched per question: a response is asked for seven names or so (its type, the
 * rate-limit headers) of which most are absent, so names are matched byte by byte against the
 * question and only a found value becomes a string. undici hands a Buffer object per name and per
 * value (~90 bytes each, forty for a real API's response): kept as they were, they outlived a
 * scavenge or two with every answer in flight (issue 16). Decoding every header into a map per
 * response (two strings and an entry per header) cost more CPU than searching.
 */
class RawHeaders implements HeaderSource {
  private readonly bytes: Buffer;
  /** Start and end of each name and value in `bytes`, in order. */
  private readonly bounds: Uint32Array;

  constructor(raw: Buffer[]) {
    const n = raw.length;
    const bounds = new Uint32Array(2 * n);
    const first = raw[0]!;
    const base = first.buffer;
    const from = first.byteOffset;
    // All in the one socket read they arrived in, in order (the usual case): a view of it, nothing
    // copied, found in one pass (per response, issue 16).
    let end = from;
    let i = 0;
    for (; i < n; i++) {
      const b = raw[i]!;
      const start = b.byteOffset;
      if (b.buffer !== base || start < end) break;
      end = start + b.length;
      bounds[2 * i] = start - from;
      bounds[2 * i + 1] = end - from;
    }
    if (i === n) {
      this.bytes = Buffer.from(base, from, end - from);
    } else {
      let total = 0;
      for (let j = 0; j < n; j++) total += raw[j]!.length;
      const bytes = Buffer.allocUnsafe(total);
      let at = 0;
      for (let j = 0; j < n; j++) {
        bytes.set(raw[j]!, at);
        bounds[2 * j] = at;
        at += raw[j]!.length;
        bounds[2 * j + 1] = at;
      }
      this.bytes = bytes;
    }
    this.bounds = bounds;
  }

  hasPrefix(prefix: string): boolean {
    const { bytes, bounds } = this;
    for (let i = 0; i + 3 < bounds.length; i += 4) {
      if (bounds[i + 1]! - bounds[i]! >= prefix.length && sameName(bytes, bounds[i]!, bounds[i]! + prefix.length, prefix)) return true;
    }
    return false;
  }

  get(name: string): string | null {
    const wanted = name.toLowerCase();
    const { bytes, bounds } = this;
    let found: string | null = null;
    for (let i = 0; i + 3 < bounds.length; i += 4) {
      if (!sameName(bytes, bounds[i]!, bounds[i + 1]!, wanted)) continue;
      const value = bytes.toString('latin1', bounds[i + 2]!, bounds[i + 3]!);
      // Repeated headers joined, as node:http does (set-cookie aside, which no one here reads).
      found = found === null ? value : `${found}, ${value}`;
    }
    return found;
  }
}

/** Whether the header name in `bytes[start, end)` spells `lower` (lower-case ASCII), in any case. */
function sameName(bytes: Buffer, start: number, end: number, lower: string): boolean {
  const n = lower.length;
  if (end - start !== n) return false;
  for (let j = 0; j < n; j++) {
    let c = bytes[start + j]!;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(j)) return false;
  }
  return true;
}
