import { tokenLimitField } from './request-body.js';
import { classifyError } from './classify-error.js';
import { createAgentPool } from './agent-pool.js';
import { leanChat } from './lean-chat.js';
import { chatTarget } from './chat-target.js';
import type { SdkChat } from './sdk-chat.js';
import type { OpenAIProviderOptions } from './openai-options.js';
import { AttemptError, type AttemptContext, type AttemptErrorInfo, type Complete, type CompletionRequest, type CompletionResult } from './completion.js';

/**
 * The error's info with every string the server may have supplied redacted (`code` ends up in the
 * row, CSV `error_code`, the report): an echoing server can put the Authorization header anywhere.
 * `stop` is ours, and `headers` never leave the process (they are read for Retry-After).
 */
function redactInfo(info: AttemptErrorInfo, redact: (text: string) => string): AttemptErrorInfo {
  const out: Record<string, unknown> = { ...info };
  for (const [key, value] of Object.entries(info)) if (key !== 'stop' && typeof value === 'string') out[key] = redact(value);
  return out as AttemptErrorInfo;
}

/**
 * A 400 or 422 that names `stream_options`: the server does not know the field (any wording names
 * it). Mistral and other FastAPI servers refuse unknown fields with a 422.
 */
const refusesStreamOptions = (error: AttemptError): boolean =>
  (error.info.status === 400 || error.info.status === 422) && error.message.includes('stream_options');

/**
 * A `Complete` for an OpenAI-compatible server. Over the network, chat completions take the lean
 * path (lean-chat.ts), which does not load the SDK's client; an injected fetch (the `--mock`
 * provider, tests) and `-v` / `--trace` take the SDK's (sdk-chat.ts), loaded only then. Either
 * way failures come out classified, with secrets redacted.
 */
export function createSdkComplete(options: OpenAIProviderOptions): Complete & { warmUp: () => Promise<void>; close: () => Promise<void> } {
  const limitField = tokenLimitField(options.baseURL);
  const pool = createAgentPool(options.proxyFor, options.connections);
  const viaSdk = options.fetch !== undefined || options.trace !== undefined;
  const target = viaSdk ? undefined : chatTarget(options.baseURL, options.apiKey, pool);
  let sdk: Promise<SdkChat> | undefined;
  const sdkChat = () => (sdk ??= import('./sdk-chat.js').then((m) => m.createSdkChat(options, limitField, pool)));
  const attempt = (request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult> => {
    if (!request.stream) ctx.onActivity('whole');
    return target ? leanChat(target, limitField, request, ctx) : sdkChat().then((chat) => chat.complete(request, ctx));
  };
  const redacted = (error: AttemptError): AttemptError =>
    options.redact ? new AttemptError(error.type, options.redact(error.message), redactInfo(error.info, options.redact)) : error;
  const classified = (err: unknown): never => {
    throw redacted(classifyError(err));
  };
  // Servers that refuse `stream_options` with a 400 (Azure before api-version 2024-09-01-preview,
  // older vLLM) or a 422 (Mistral) would fail every streamed row. A refusal naming it is sent again at once without it,
  // uncounted; if that is answered, later streamed requests go without it too, their answers without
  // usage (counted in the summary). One that fails again was not (only) about the field (vLLM's and
  // LiteLLM's validation errors quote the whole request body): it fails with the second answer's
  // error, which names the real reason, and nothing is turned off.
  let streamUsage = true;
  const send = (request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult> =>
    attempt(streamUsage || !request.stream ? request : { ...request, streamUsage: false }, ctx);
  // A promise, not an async function: no suspended call held per request in flight (issue 16).
  const complete: Complete = (request, ctx) => {
    const withUsage = streamUsage && request.stream;
    return send(request, ctx).catch((err: unknown) => {
      const error = classifyError(err);
      if (!withUsage || !refusesStreamOptions(error)) throw redacted(error);
      return attempt({ ...request, streamUsage: false }, ctx).then(
        (result) => {
          streamUsage = false;
          return result;
        },
        (again: unknown) => classified(again),
      );
    });
  };
  return Object.assign(complete, {
    async warmUp() {
      if (viaSdk) return void (await (await sdkChat()).warmUp());
      // undici loads on first use: loaded here, the first request leaves when its pacing slot says,
      // not tens of ms later while the second keeps its slot (11 requests reached the server in the
      // first second at --rpm 600 under load, against a cap of 10).
      const direct = pool.dispatcherFor(target!.url);
      if (direct instanceof Promise) await direct;
    },
    close: () => pool.close(),
  });
}
