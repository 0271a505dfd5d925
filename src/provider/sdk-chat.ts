import type { ChatCompletionChunk, ChatCompletionCreateParamsNonStreaming, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { wireBody, type TokenLimitField } from './request-body.js';
import { OpenAI } from './sdk.js';
import { createHttpFetch } from './http-fetch.js';
import { withReadableErrors } from './error-body.js';
import { withTrace } from './trace-fetch.js';
import { StreamedAnswer, wholeAnswer } from './streamed-answer.js';
import { keepsStreamHead, STREAM_HEAD_CHARS } from './body-checks.js';
import type { AgentPool } from './agent-pool.js';
import type { OpenAIProviderOptions } from './openai-options.js';
import type { AttemptContext, CompletionRequest, CompletionResult } from './completion.js';

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
  const head = keepsStreamHead(response.headers) ? keepHead(response) : undefined;
  try {
    for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
      ctx.onActivity();
      head?.drop();
      answer.add(chunk);
    }
  } catch (err) {
    head?.drop();
    throw err;
  }
  return answer.finish(response.headers, ctx.signal, answer.empty ? await head?.text : undefined);
}

/**
 * The body of a streamed response not labelled an event stream, read from a copy alongside the
 * SDK's stream, as the lean path keeps it (see STREAM_HEAD_CHARS): undefined once past that, or
 * once dropped (at the first event: the copy is then cancelled, so it buffers nothing more).
 */
function keepHead(response: Response): { text: Promise<string | undefined>; drop(): void } {
  const reader = response.clone().body?.getReader();
  if (!reader) return { text: Promise.resolve(''), drop() {} };
  let dropped = false;
  const read = async (): Promise<string | undefined> => {
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (dropped) return undefined;
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
      if (text.length > STREAM_HEAD_CHARS) {
        dropped = true;
        await reader.cancel();
        return undefined;
      }
    }
  };
  return {
    text: read().catch(() => undefined),
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
  return withTrace(transport, { write: options.trace, redact: options.redact ?? ((text) => text) });
}

/** Chat completions through the SDK's client: one attempt, unclassified errors (the caller classifies). */
export interface SdkChat {
  complete(request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult>;
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
export function createSdkChat(options: OpenAIProviderOptions, limitField: TokenLimitField, pool: AgentPool): SdkChat {
  const client = new OpenAI({
    apiKey: options.apiKey ?? 'no-key',
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: 24 * 3600 * 1000,
    logLevel: 'off',
    fetch: withReadableErrors(traced(options.fetch ?? createHttpFetch(globalThis.fetch, { pool }), options)),
  });
  return {
    complete: (request, ctx) => completeOnce(client, limitField, request, ctx),
    async warmUp() {
      await new Response('').arrayBuffer().catch(() => {});
      await client.buildRequest({ method: 'post', path: '/chat/completions', body: {} }).catch(() => {});
    },
  };
}
