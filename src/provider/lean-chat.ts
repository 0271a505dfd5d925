import { createParser, type EventSourceMessage, type EventSourceParser, type ParseError } from 'eventsource-parser';
import { errorWords } from './error-body.js';
import { failedFetch, followRedirects, isRedirect, postChat, type ChatTarget } from './chat-post.js';
import { wireBody, type TokenLimitField } from './request-body.js';
import { APIError } from './sdk-errors.js';
import { AttemptError, abortSourceOf, type AttemptContext, type CompletionRequest, type CompletionResult } from './completion.js';
import type { HeaderSource } from '../types.js';
import type { BodySink, ChatResponse } from './chat-response.js';
import { StreamedAnswer, choiceFailure, wholeAnswer, type AnswerChunk } from './streamed-answer.js';
import { STREAM_HEAD_CHARS, noContent } from './body-checks.js';
import { errorFieldError, streamError } from './stream-error.js';
import { clipText } from '../util/clip-text.js';

/**
 * Chat completions without the SDK's per-request machinery (issue 16): undici's dispatcher (or a
 * proxy's node:http agent) straight into eventsource-parser, no web-stream bridge, no per-request
 * header objects or abort controllers (the attempt's one signal goes to the connection). ~45 µs of
 * CPU per streamed event became ~5, everything included.
 *
 * It fails exactly as the SDK did: the same error objects (`APIError.generate` for a status,
 * `APIError` for an error event in a stream, `SyntaxError` for an unparsable event or body, the
 * network error itself for a cut connection), thrown to the same classifier.
 */
export function leanChat(target: ChatTarget, limitField: TokenLimitField, request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult> {
  // Promises, not an async function: a suspended call stays alive, with all it holds, until the
  // response's headers come (issue 16). A throw here still rejects, for the classifier.
  try {
    const body = JSON.stringify(wireBody(request, limitField));
    const abort = abortSourceOf(ctx);
    return postChat(target, body, abort).then((response) =>
      isRedirect(response.status)
        ? followRedirects(target, body, abort, response).then((r) => readAnswer(r, request, ctx))
        : readAnswer(response, request, ctx),
    );
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * The answer in a response whose headers have come: its body read, or the error it says. The SDK
 * path (sdk-chat.ts) reads its responses here too, once the SDK has turned a failing status into
 * its error.
 */
export function readAnswer(response: ChatResponse, request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult> {
  const { status, headers } = response;
  if (status < 200 || status > 299) {
    // An error's body is short and due at once: a gap before it is bounded by --idle-timeout.
    ctx.onActivity();
    return failure(response, ctx);
  }
  // Headers alone: a whole answer's body may still be minutes away (see AttemptContext.onActivity).
  ctx.onActivity('headers');
  if (status === 204 || status === 205) {
    response.discard();
    return Promise.reject(noContent(status));
  }
  if (request.stream) return readStream(response, headers, ctx);
  return new Promise((resolve, reject) => response.read(new WholeReader(headers, ctx, resolve, reject)));
}

/** The error a response with a failing status stands for, once its body is read. */
async function failure(response: ChatResponse, ctx: AttemptContext): Promise<never> {
  const { status, headers } = response;
  // A body that fails to arrive failed `withReadableErrors`' read, inside the SDK's fetch; a
  // 407's (which it passes on) the SDK's own read, which takes the error's message for the body.
  const raw = await readText(response, ctx.onActivity).catch((err: unknown) => {
    if (status === 407) return err instanceof Error ? err.message : String(err);
    throw failedFetch(err, abortSourceOf(ctx));
  });
  // As `withReadableErrors` hands it to the SDK: a body in another shape, in OpenAI's.
  const words = status === 407 ? undefined : errorWords(raw, headers.get('content-type'));
  const text = words ? JSON.stringify({ error: words }) : raw;
  const json = safeJSON(text);
  throw APIError.generate(status, json as object | undefined, json ? undefined : text, headers as unknown as Headers);
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The whole body; every chunk feeds the idle timeout, so a slow non-streamed answer is not a stall. */
function readText(response: ChatResponse, onActivity: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.read({
      data(chunk) {
        onActivity();
        text += chunk;
      },
      end: () => resolve(text),
      error: reject,
    });
  });
}

/** A whole (not streamed) answer's body, read into its text; every chunk feeds the idle timeout. */
class WholeReader implements BodySink {
  private text = '';

  constructor(
    private readonly headers: HeaderSource,
    private readonly ctx: AttemptContext,
    private readonly resolve: (result: CompletionResult) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  data(chunk: string): void {
    this.ctx.onActivity();
    this.text += chunk;
  }

  end(): void {
    try {
      this.resolve(wholeAnswer(this.text, this.headers, this.ctx.onDelta));
    } catch (err) {
      this.reject(err);
    }
  }

  error(err: unknown): void {
    this.reject(err);
  }
}

interface Chunk extends AnswerChunk {
  error?: unknown;
}

/**
 * An SSE parser waiting for its next stream. A parser is a dozen closures and their context: made
 * per response, they outlived a scavenge or two with every answer in flight (issue 16). Each is
 * made once with an `onEvent` that hands events to whichever reader holds it.
 */
interface PooledParser {
  parser: EventSourceParser;
  reader: StreamReader | undefined;
}

const parsers: PooledParser[] = [];
const MAX_PARSERS = 1024;

/**
 * The most characters of one SSE event (or a line not yet ended) the parser holds. An event is one
 * delta; a server that sends gigabytes without a line break grew the parser's pieces until the heap
 * ran out, the whole run lost (a whole body fails at V8's longest string instead).
 */
export const MAX_EVENT_CHARS = 64 * 1024 * 1024;

function takeParser(reader: StreamReader): PooledParser {
  const pooled = parsers.pop();
  if (pooled) {
    // Reset again: a parser given back from inside its own feed (a stop during an event) may have
    // parsed on after that.
    pooled.parser.reset();
    pooled.reader = reader;
    return pooled;
  }
  const made: PooledParser = { parser: undefined as unknown as EventSourceParser, reader };
  made.parser = createParser({
    onEvent: (event) => made.reader?.onEvent(event),
    onError: (err) => made.reader?.onParseError(err),
    maxBufferSize: MAX_EVENT_CHARS,
  });
  return made;
}

function releaseParser(pooled: PooledParser): void {
  pooled.reader = undefined;
  if (parsers.length < MAX_PARSERS) parsers.push(pooled);
}

function readStream(response: ChatResponse, headers: HeaderSource, ctx: AttemptContext): Promise<CompletionResult> {
  return new Promise((resolve, reject) => response.read(new StreamReader(response, headers, ctx, resolve, reject)));
}

/**
 * An event's JSON. Data that is not JSON at all (`data: Internal Server Error: CUDA out of memory`)
 * fails the answer with the server's words, which a parse error kept ten characters of; JSON cut
 * short fails as unparsable.
 */
function parsedEvent(data: string): Chunk | null {
  try {
    return JSON.parse(data) as Chunk | null;
  } catch (err) {
    // An object, array or string cut short; "503 Service Unavailable" is words.
    if (/^\s*[[{"]/.test(data)) throw err;
    throw new AttemptError('bad_response', `the server sent an event that is not JSON: ${clipText(data.replace(/\s+/g, ' ').trim(), 300)}`);
  }
}

/** What an `event: error` says: its JSON's `error`, its JSON, or its words. */
function eventError(data: string): unknown {
  try {
    const said = JSON.parse(data) as { error?: unknown } | null;
    if (typeof said === 'object' && said !== null) return said.error ?? said;
  } catch {
    // words
  }
  return data.replace(/\s+/g, ' ').trim() || 'no reason given';
}

/**
 * Bodies still open after their `[DONE]`, by when it came. The answer was handed on at `[DONE]`; a
 * server that then leaves the response open (a proxy that holds it, a server that never closes)
 * would hold the connection, one of the pool's, for ever. Closed once TAIL_MS passed without their
 * end. One sweep a TAIL_MS while any is open, not a timer per answer: almost every body ends at once.
 */
const tails = new Map<StreamReader, number>();
/**
 * Streams whose usage came after their finish_reason, by when it came and when their last event
 * came: OpenAI's last event before `[DONE]`. A server that then sends neither `[DONE]` nor the body's
 * end held the answer, and its slot, until --idle-timeout; handed on once TAIL_MS passed with nothing
 * more (what does come meanwhile, a late content-filter verdict, a second usage, is still read), or
 * QUIET_MAX_MS after the usage whatever comes.
 */
const quiet = new Map<StreamReader, { since: number; last: number }>();
export const TAIL_MS = 500;
/** However long events keep coming after the usage (a server's heartbeats), the answer goes on after this. */
const QUIET_MAX_MS = 5 * TAIL_MS;
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  if (!sweeper) {
    sweeper = setInterval(sweepTails, TAIL_MS);
    sweeper.unref();
  }
}

function watchTail(reader: StreamReader): void {
  tails.set(reader, performance.now());
  sweep();
}

function watchQuiet(reader: StreamReader): void {
  const now = performance.now();
  quiet.set(reader, { since: now, last: now });
  sweep();
}

function sweepTails(): void {
  const now = performance.now();
  for (const [reader, doneAt] of tails) if (now - doneAt >= TAIL_MS) reader.closeTail();
  for (const [reader, { since, last }] of quiet) if (now - last >= TAIL_MS || now - since >= QUIET_MAX_MS) reader.quietEnd();
  if (tails.size === 0 && quiet.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * One streamed answer, read event by event into a {@link StreamedAnswer}: the body's sink, with its
 * state in fields rather than closures. `[DONE]` ends the answer: it is handed on then, not when the
 * body ends (see {@link tails}); an event whose JSON does not parse, or that carries `error` (or an
 * `error:` line), fails the attempt, unless a finish_reason came before it (see {@link StreamReader.error}).
 */
class StreamReader implements BodySink {
  private readonly answer: StreamedAnswer;
  /** `[DONE]` came and the answer was handed on: the rest of the body is drained, unread. */
  private done = false;
  /** The usage came after the finish_reason: handed on if nothing more comes (see {@link quiet}). */
  private quiet = false;
  private failed = false;
  private pooled: PooledParser | undefined;
  /** Whether any of the body has come: only its very start may carry a byte order mark. */
  private started = false;
  /**
   * The body so far while no event has come: what a server sent instead of a stream (an error
   * body, a whole answer, nothing) is judged by it (see judgedWhole). Dropped at the first event or
   * past STREAM_HEAD_CHARS.
   */
  private head: string | undefined = '';

  constructor(
    private readonly response: ChatResponse,
    private readonly headers: HeaderSource,
    private readonly ctx: AttemptContext,
    private readonly resolve: (result: CompletionResult) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.answer = new StreamedAnswer(ctx.onDelta);
  }

  onEvent(event: EventSourceMessage): void {
    this.head = undefined;
    if (this.done || this.failed) return;
    if (event.data.startsWith('[DONE]')) {
      this.answer.done();
      this.handOn();
      return;
    }
    const data = event.data;
    // An event with no data (`data: ` between two chunks) says nothing; JSON.parse('') would fail the answer.
    if (data === '' || (data.charCodeAt(0) <= 32 && data.trim() === '')) return;
    // `event: error` names an error whatever its data holds (its words, or JSON without an `error` key).
    if (event.event === 'error') throw streamError(eventError(data), this.headers);
    const chunk = parsedEvent(data);
    if (chunk?.error) throw streamError(chunk.error, this.headers);
    const failed = choiceFailure(chunk);
    if (failed) throw failed;
    this.answer.add(chunk);
    if (this.quiet) {
      const watched = quiet.get(this);
      if (watched) watched.last = performance.now();
    } else if (chunk?.usage && !chunk.choices?.length && this.answer.finished) {
      this.quiet = true;
      watchQuiet(this);
    }
  }

  /**
   * Nothing came for TAIL_MS after the usage that followed the finish_reason, or events went on past
   * QUIET_MAX_MS (see {@link quiet}): handed on, and the response, which has had its quiet time
   * already, closed now (left to the tail's watch it held the connection, and the slot's next
   * request, another 0.5-1 s).
   */
  quietEnd(): void {
    quiet.delete(this);
    if (this.done || this.failed) return;
    this.handOn();
    this.closeTail();
  }

  /** The answer is whole: handed on now, and the rest of the body drained unread (see {@link tails}). */
  private handOn(): void {
    quiet.delete(this);
    this.done = true;
    try {
      this.resolve(this.answer.finish(this.headers, abortSourceOf(this.ctx)));
    } catch (err) {
      this.reject(err);
    }
    watchTail(this);
  }

  /**
   * A line the parser could not take: only llama.cpp's `error: {…}` says anything (see
   * errorFieldError); it fails the attempt as an error event does. So does an event past
   * MAX_EVENT_CHARS, after which the parser takes nothing more.
   */
  onParseError(err: ParseError): void {
    if (this.done || this.failed) return;
    if (err.type === 'unknown-field' && err.field === 'error') throw errorFieldError(err.value ?? '', this.headers);
    if (err.type === 'max-buffer-size-exceeded') {
      throw new AttemptError('bad_response', `the stream sent over ${MAX_EVENT_CHARS} characters without ending an event`, { code: 'event_too_long' });
    }
  }

  data(text: string): void {
    if (this.failed || this.done) return;
    this.ctx.onActivity();
    const first = !this.started;
    this.started = true;
    const pooled = (this.pooled ??= takeParser(this));
    // A stream may open with a byte order mark, which SSE ignores and the SDK's reader drops; the
    // parser looks for its three bytes as Latin-1 only, and would take the first event for junk.
    const fed = first && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    if (this.head !== undefined) this.head = this.head.length + fed.length > STREAM_HEAD_CHARS ? undefined : this.head + fed;
    try {
      pooled.parser.feed(fed);
    } catch (err) {
      this.error(err);
    }
  }

  end(): void {
    quiet.delete(this);
    if (this.failed) return;
    this.let();
    if (this.done) {
      tails.delete(this);
      return;
    }
    try {
      this.resolve(this.answer.finish(this.headers, abortSourceOf(this.ctx), this.answer.empty ? this.head : undefined));
    } catch (err) {
      this.error(err);
    }
  }

  /**
   * The body failed (a reset, a deadline, an unreadable or error event). Once a finish_reason came
   * the answer is whole, only its usage or `[DONE]` lost: kept, as the same bytes ended cleanly
   * are, not retried and paid for again.
   */
  error(err: unknown): void {
    quiet.delete(this);
    if (this.failed) return;
    this.failed = true;
    this.let();
    this.response.cancel();
    if (this.done) tails.delete(this);
    else if (this.answer.finished) this.resolve(this.answer.finish(this.headers, abortSourceOf(this.ctx)));
    else this.reject(err);
  }

  /** A body still open TAIL_MS after its `[DONE]`: its connection is closed (see {@link tails}). */
  closeTail(): void {
    tails.delete(this);
    if (this.failed) return;
    this.failed = true;
    this.let();
    this.response.cancel();
  }

  /** Gives the parser back: nothing more is fed to it. */
  private let(): void {
    const pooled = this.pooled;
    if (!pooled) return;
    this.pooled = undefined;
    releaseParser(pooled);
  }
}
