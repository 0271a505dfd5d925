import { tokenLimitField, type TokenLimitField } from './request-body.js';
import { classifyError } from './classify-error.js';
import { createAgentPool } from './agent-pool.js';
import { leanChat } from './lean-chat.js';
import { answerScrubber } from './answer-scrubber.js';
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
 * The other name of the answer-length cap when a server refused the one sent: OpenAI's reasoning
 * models refuse `max_tokens` ("Unsupported parameter: 'max_tokens' … Use 'max_completion_tokens'
 * instead") wherever they are reached (eu.api.openai.com, a gateway, an Azure custom domain), and an
 * older server may not know `max_completion_tokens`.
 */
export function otherLimitField(error: AttemptError, sent: TokenLimitField): TokenLimitField | undefined {
  const status = error.info.status;
  if (status !== 400 && status !== 422) return undefined;
  const said = error.message;
  // Both names and a refusal of the name: vLLM's context-length 400 names both too ("'max_tokens' or
  // 'max_completion_tokens' is too large: 4096 …"), and the other name is as much too large.
  const refused = UNKNOWN_FIELD.test(said) || /\binstead\b/i.test(said);
  if (sent === 'max_tokens') return said.includes('max_tokens') && said.includes('max_completion_tokens') && refused ? 'max_completion_tokens' : undefined;
  return said.includes('max_completion_tokens') && UNKNOWN_FIELD.test(said) ? 'max_tokens' : undefined;
}

const UNKNOWN_FIELD = /unrecognized|unsupported|unknown|not supported|not permitted|extra (inputs|fields)/i;

/**
 * A `Complete` for an OpenAI-compatible server. Over the network, chat completions take the lean
 * path (lean-chat.ts), which does not load the SDK's client; an injected fetch (the `--mock`
 * provider, tests) and `-v` / `--trace` take the SDK's (sdk-chat.ts), loaded only then. Either
 * way failures come out classified, with secrets redacted.
 */
export function createSdkComplete(options: OpenAIProviderOptions): Complete & { warmUp: () => Promise<void>; close: () => Promise<void> } {
  let limitField = tokenLimitField(options.baseURL);
  const pool = createAgentPool(options.proxyFor, options.connections);
  const viaSdk = options.fetch !== undefined || options.trace !== undefined;
  const target = viaSdk ? undefined : chatTarget(options.baseURL, options.apiKey, pool, options);
  let sdk: Promise<SdkChat> | undefined;
  const sdkChat = () => (sdk ??= import('./sdk-chat.js').then((m) => m.createSdkChat(options, pool)));
  const attempt = (request: CompletionRequest, ctx: AttemptContext, field: TokenLimitField): Promise<CompletionResult> => {
    if (!request.stream) ctx.onActivity('whole');
    return target ? leanChat(target, field, request, ctx) : sdkChat().then((chat) => chat.complete(request, ctx, field));
  };
  const redacted = (error: AttemptError): AttemptError =>
    options.redact ? new AttemptError(error.type, options.redact(error.message), redactInfo(error.info, options.redact)) : error;
  // Servers that refuse `stream_options` with a 400 (Azure before api-version 2024-09-01-preview,
  // older vLLM) or a 422 (Mistral) would fail every streamed row; a server that refuses the cap's
  // name (see otherLimitField) every row with --max-tokens or --max-cost. A refusal naming the field
  // is sent again without it (or with the cap's other name): by the engine, as an attempt of its own
  // (AttemptContext.resend: paced, counted, under its own deadline), else at once. If that is
  // answered, later requests go so too (streamed answers then without usage, counted in the
  // summary). One that fails again was not (only) about the field (vLLM's and LiteLLM's validation
  // errors quote the whole request body): it fails with the second answer's error, which names the
  // real reason, and nothing is turned off. A server refusing both gets both, one after the other.
  let streamUsage = true;
  /** The request as sent: a streamed one without `stream_options` once usage is not asked for. */
  const asked = (request: CompletionRequest, usage: boolean): CompletionRequest => (usage || !request.stream ? request : { ...request, streamUsage: false });
  /** A request sent again without a field was answered: every later one goes so. */
  const learned = (result: CompletionResult, request: CompletionRequest, usage: boolean, field: TokenLimitField): CompletionResult => {
    if (!usage && request.stream) streamUsage = false;
    limitField = field;
    return result;
  };
  const fallBack = (
    err: unknown,
    request: CompletionRequest,
    ctx: AttemptContext,
    field: TokenLimitField,
    withUsage: boolean,
    tried: number,
  ): Promise<CompletionResult> => {
    const error = classifyError(err);
    let usage = withUsage;
    let next = field;
    if (tried < 2 && withUsage && refusesStreamOptions(error)) usage = false;
    else if (tried < 2 && request.max_tokens !== undefined) next = otherLimitField(error, field) ?? field;
    if (usage === withUsage && next === field) throw redacted(error);
    if (ctx.resend !== undefined) {
      // The engine's to send again, at the pacing's turn: a wait here would run inside --timeout.
      const refused = redacted(error);
      throw new AttemptError(refused.type, refused.message, { ...refused.info, resend: { streamUsage: usage, limitField: next, tried: tried + 1 } });
    }
    return attempt(asked(request, usage), ctx, next).then(
      (result) => learned(result, request, usage, next),
      (again: unknown) => fallBack(again, request, ctx, next, usage, tried + 1),
    );
  };
  const scrub = answerScrubber(options.apiKey);
  // A promise, not an async function: no suspended call held per request in flight (issue 16).
  const complete: Complete = (request, context) => {
    // A refused request sent again (see AttemptContext.resend): as its refusal said, and without
    // usage if the run learned so meanwhile.
    const again = context.resend === true ? undefined : context.resend;
    const withUsage = streamUsage && request.stream && (again?.streamUsage ?? true);
    const field = again ? again.limitField : limitField;
    // A whole answer's one delta is its text, shown before its (scrubbed) row: scrubbed as the row is.
    // A stream's are held while they may be spelling the key (see AnswerScrubber.deltas).
    const { onDelta } = context;
    const held = scrub && onDelta && request.stream ? scrub.deltas(onDelta) : undefined;
    // `signal` by name: the engine's context has it as a getter, which a spread does not copy.
    const ctx = scrub && onDelta ? { ...context, signal: context.signal, onDelta: held ? held.onDelta : (text: string) => onDelta(scrub.text(text)) } : context;
    const sent = attempt(asked(request, withUsage), ctx, field);
    const refused = (err: unknown) => fallBack(err, request, ctx, field, withUsage, again ? again.tried : 0);
    const answered = again ? sent.then((result) => learned(result, request, withUsage, field), refused) : sent.catch(refused);
    return scrub
      ? answered.then((result) => {
          held?.end();
          return scrub(result);
        })
      : answered;
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
