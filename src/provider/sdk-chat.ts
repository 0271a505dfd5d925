import { createParser } from 'eventsource-parser';
import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { wireBody, type TokenLimitField } from './request-body.js';
import { OpenAI } from './sdk.js';
import { APIError } from './sdk-errors.js';
import { createHttpFetch } from './http-fetch.js';
import { withReadableErrors } from './error-body.js';
import { withTrace } from './trace-fetch.js';
import { StreamedAnswer, choiceFailure, wholeAnswer } from './streamed-answer.js';
import { TAIL_MS } from './lean-chat.js';
import { STREAM_HEAD_CHARS } from './body-checks.js';
import type { AgentPool } from './agent-pool.js';
import type { OpenAIProviderOptions } from './openai-options.js';
import { AttemptError, type AttemptContext, type CompletionRequest, type CompletionResult } from './completion.js';

/** Reads a body chunk by chunk so the idle timeout sees progress on slow non-streamed answers. */
async function readBody(response: Response, onActivity: () => void): Promise<string> {
  if (!response.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    onActivity();
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

async function completeOnce(client: OpenAI, limitField: TokenLimitField, request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult> {
  if (!request.stream) {
    const response = await client.chat.completions
      .create(wireBody(request, limitField) as unknown as ChatCompletionCreateParamsNonStreaming, { signal: ctx.signal })
      .asResponse();
    ctx.onActivity();
    return wholeAnswer(await readBody(response, ctx.onActivity), response.headers, ctx.onDelta);
  }

  const { data: stream, response } = await client.chat.completions
    .create(wireBody(request, limitField) as unknown as ChatCompletionCreateParamsStreaming, { signal: ctx.signal })
    .withResponse();
  ctx.onActivity();
  const answer = new StreamedAnswer(ctx.onDelta);
  const copy = readCopy(response, ctx.onActivity);
  // The SDK's stream ends with the body, not at `[DONE]`: a response left open after it (see
  // lean-chat's tails) is closed TAIL_MS after the copy saw `[DONE]`, time enough for the stream to
  // read what came before it. Its iteration then ends quietly, the answer whole.
  let reading = true;
  void copy.seen.then((seen) => {
    if (!seen.done || !reading) return;
    setTimeout(() => reading && stream.controller.abort(), TAIL_MS).unref();
  });
  try {
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      ctx.onActivity();
      const failed = choiceFailure(chunk as Parameters<typeof choiceFailure>[0]);
      if (failed) {
        copy.drop();
        throw failed;
      }
      answer.add(chunk);
    }
  } catch (err) {
    if (err instanceof AttemptError) throw err;
    // An event that failed (an error event, unparsable JSON) came before any `[DONE]`, which the
    // SDK reads past unparsed: one the copy saw after it (vLLM's error event, then `[DONE]`) does
    // not make the answer whole. On the lean path `[DONE]` counts only before such an event too.
    const done = !failedEvent(err) && copy.sawDone();
    copy.drop();
    // A finish_reason or `[DONE]` came: the answer is whole whatever cut the rest (as on the lean path).
    if (done) answer.done();
    else if (!answer.finished) throw err;
    return answer.finish(response.headers, ctx.signal);
  } finally {
    reading = false;
  }
  // The copy is needed only for an answer the stream itself does not prove whole.
  if (answer.finished || ctx.signal.aborted) copy.drop();
  else {
    const seen = await copy.seen;
    if (seen.done) answer.done();
    if (answer.empty) return answer.finish(response.headers, ctx.signal, seen.head);
  }
  return answer.finish(response.headers, ctx.signal);
}

/** The SDK's stream failed at an event (`data: {"error": …}` or unparsable), not in the body's transport. */
function failedEvent(err: unknown): boolean {
  return (err instanceof APIError && err.status === undefined) || err instanceof SyntaxError;
}

/** What the copy of a streamed body showed: whether `[DONE]` came, and the body while no event had. */
interface CopySeen {
  done: boolean;
  head: string | undefined;
}

/**
 * A streamed body read from a copy alongside the SDK's stream, for what that stream does not tell:
 * whether the closing `[DONE]` came (its iteration ends alike with or without it), and the body
 * while no event has come, as the lean path keeps it (see STREAM_HEAD_CHARS). Events are told apart
 * by the parser the lean path uses. Once dropped, the copy is cancelled, so it buffers nothing more;
 * a copy that fails or is dropped saw nothing.
 * Every piece of it is activity, as every piece of the body is on the lean path: an SSE comment
 * (`: ping`, OpenRouter's `: OPENROUTER PROCESSING`) too, which the SDK's stream never shows.
 */
function readCopy(response: Response, onActivity: () => void): { seen: Promise<CopySeen>; sawDone(): boolean; drop(): void } {
  const reader = response.clone().body?.getReader();
  if (!reader) return { seen: Promise.resolve({ done: false, head: '' }), sawDone: () => false, drop() {} };
  let dropped = false;
  let head: string | undefined = '';
  let done = false;
  const parser = createParser({
    onEvent(event) {
      head = undefined;
      if (event.data.startsWith('[DONE]')) done = true;
    },
  });
  const nothing: CopySeen = { done: false, head: undefined };
  const read = async (): Promise<CopySeen> => {
    // TextDecoder drops a leading byte order mark, as the lean path does before its parser.
    const decoder = new TextDecoder();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (dropped) return nothing;
      if (!end) onActivity();
      const text = end ? decoder.decode() : decoder.decode(value, { stream: true });
      if (head !== undefined) head = head.length + text.length > STREAM_HEAD_CHARS ? undefined : head + text;
      parser.feed(text);
      if (end || done) {
        // Not awaited: a tee's branch's cancel settles only once the other branch (the SDK's
        // stream) is cancelled or ends too, and a response left open after `[DONE]` never ends.
        if (!end) reader.cancel().catch(() => {});
        return { done, head };
      }
    }
  };
  return {
    seen: read().catch(() => nothing),
    sawDone: () => done,
    drop() {
      if (dropped) return;
      dropped = true;
      reader.cancel().catch(() => {});
    },
  };
}

/** The transport, logged for `-v` / `--trace` (what went over the wire, before any rewriting). */
function traced(transport: typeof fetch, options: OpenAIProviderOptions): typeof fetch {
  if (!options.trace) return transport;
  return withTrace(transport, { write: options.trace, redact: options.redact ?? ((text) => text), apiKey: options.apiKey });
}

/** Chat completions through the SDK's client: one attempt, unclassified errors (the caller classifies). */
export interface SdkChat {
  complete(request: CompletionRequest, ctx: AttemptContext, limitField: TokenLimitField): Promise<CompletionResult>;
  /**
   * Pays one-time costs (Node's lazily loaded `Response` and web streams, the SDK's platform
   * headers) before the first paced request: otherwise the first request leaves late and the next
   * ones bunch up behind it, and a server counting arrivals sees a burst the pacer never sent.
   */
  warmUp(): Promise<void>;
}

/**
 * The SDK's own path, for an injected fetch (the `--mock` provider, tests), which is all it
 * implements, and for `-v` / `--trace`, whose log is of that fetch. Its retries are off
 * (`maxRetries: 0`): our policy retries through the rate limiter and counts every attempt once. Its
 * timeout is off too: ours covers the whole attempt and the gaps in a stream.
 */
export function createSdkChat(options: OpenAIProviderOptions, pool: AgentPool): SdkChat {
  const client = new OpenAI({
    apiKey: options.apiKey ?? 'no-key',
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: 24 * 3600 * 1000,
    logLevel: 'off',
    fetch: withReadableErrors(traced(options.fetch ?? createHttpFetch(globalThis.fetch, { pool, failRedirectLoops: true }), options)),
  });
  return {
    complete: (request, ctx, limitField) => completeOnce(client, limitField, request, ctx),
    async warmUp() {
      await new Response('').arrayBuffer().catch(() => {});
      await client.buildRequest({ method: 'post', path: '/chat/completions', body: {} }).catch(() => {});
    },
  };
}
