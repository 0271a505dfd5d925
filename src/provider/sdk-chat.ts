import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { wireBody, type TokenLimitField } from './request-body.js';
import { OpenAI } from './sdk.js';
import { OPENAI_V1 } from './openai-url.js';
import { createHttpFetch } from './http-fetch.js';
import { withReadableErrors } from './error-body.js';
import { withTrace } from './trace-fetch.js';
import { readAnswer } from './lean-chat.js';
import { FetchChatResponse } from './chat-response.js';
import type { AgentPool } from './agent-pool.js';
import type { OpenAIProviderOptions } from './openai-options.js';
import type { AttemptContext, CompletionRequest, CompletionResult } from './completion.js';

/**
 * One attempt: the SDK sends the request and turns a failing status into its error; the body, a
 * stream or a whole answer, is read as the lean path reads it (lean-chat.ts). The SDK's own stream
 * searched and copied the whole unfinished event with every chunk (an answer sent as one event of
 * 10 MB took a quarter of an hour under `-v`), and needed a copy of the body read beside it for
 * what the lean path's reader tells itself (where `[DONE]` came, a body that is not a stream).
 */
async function completeOnce(client: OpenAI, limitField: TokenLimitField, request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult> {
  // Typed as a request without streaming for either: `.asResponse()` skips the SDK's parsing, the one thing `stream` changes.
  const response = await client.chat.completions
    .create(wireBody(request, limitField) as unknown as ChatCompletionCreateParamsNonStreaming, { signal: ctx.signal })
    .asResponse();
  return readAnswer(new FetchChatResponse(response), request, ctx);
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
    // Given, or none: the SDK would read OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID itself.
    baseURL: options.baseURL ?? OPENAI_V1,
    organization: options.organization?.trim() || null,
    project: options.project?.trim() || null,
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
