import type { HeaderSource } from '../types.js';
import { errorInBody, heldEvents, judgedWhole, notAStream, notAnApiBody, notStreamed, streamedAnyway } from './body-checks.js';
import { bodyErrorWords, providerErrorMessage } from './error-body.js';
import { AttemptError, type AbortState, type CompletionResult } from './completion.js';
import { toUsage } from './to-usage.js';
import { CHOICE_ERROR, errorInAnswer, hasStatusCode } from './classify-error.js';
import { flattenString } from '../util/flatten-string.js';
import { brokenOff } from '../finish-reason.js';
import { LogprobParts, ToolCallParts, wholeLogprobs, wholeToolCalls, type ToolCallDelta } from './answer-parts.js';
import { clipText } from '../util/clip-text.js';

/** Deltas between two flattenings of a streamed answer's text (see StreamedAnswer.flatten). */
const FLATTEN_PIECES = 32;

/** One streamed chat chunk, as far as an answer is concerned. */
export interface AnswerChunk {
  model?: unknown;
  usage?: Parameters<typeof toUsage>[0] | null;
  /** Groq's own object, whose `usage` its last chunk carries (where no top-level `usage` comes). */
  x_groq?: { usage?: Parameters<typeof toUsage>[0] | null } | null;
  choices?: Array<{
    delta?: ({ content?: unknown; refusal?: unknown; tool_calls?: ToolCallDelta[] | null } & ReasoningParts) | null;
    logprobs?: object | null;
    finish_reason?: unknown;
  }>;
}

/**
 * A streamed answer folded chunk by chunk, and the verdict on it when the stream ends. Both
 * transports (the lean node:http path and the SDK's, for -v/--trace) read streams through it, so
 * that they build the same answer and fail the same way.
 */
export class StreamedAnswer {
  private text = '';
  private finishReason: string | null = null;
  private usage: CompletionResult['usage'] = null;
  private model: string | null = null;
  private chunks = 0;
  /** Deltas added since the text was last flattened, and its length then (see {@link flatten}). */
  private pieces = 0;
  private flatLength = 0;
  /** Whether any chunk had a choice, and whether the stream's `[DONE]` came (see {@link finish}). */
  private choices = false;
  private ended = false;
  private refusal = '';
  /** A reasoning model's thinking (see CompletionResult.reasoning). */
  private reasoning = '';
  /** Made on the first chunk that has any: a run without tools or logprobs never builds them. */
  private toolCalls: ToolCallParts | undefined;
  private logprobs: LogprobParts | undefined;

  constructor(private readonly onDelta?: (delta: string) => void) {}

  /** A `null` chunk (the event `data: null`) counts as an event and adds nothing. */
  add(chunk: AnswerChunk | null): void {
    this.chunks++;
    if (!chunk) return;
    // Azure's first chunk (prompt_filter_results, no choices) has `"model": ""`: a later one names it.
    if (!this.model) this.model = scalarText(chunk.model) || null;
    if (chunk.usage) this.usage = toUsage(chunk.usage) ?? this.usage;
    else if (chunk.x_groq?.usage) this.usage = toUsage(chunk.x_groq.usage) ?? this.usage;
    const choice = chunk.choices?.[0];
    if (!choice) return;
    this.choices = true;
    const changes = choice.delta;
    if (changes) {
      const delta = contentText(changes.content);
      if (delta) {
        this.text += delta;
        if (++this.pieces >= FLATTEN_PIECES && (this.text.length - this.flatLength) * 4 >= this.flatLength) this.flatten();
        this.onDelta?.(delta);
      }
      const refused = contentText(changes.refusal);
      if (refused) this.refusal += refused;
      const thought = reasoningText(changes);
      if (thought) this.reasoning += thought;
      const calls = changes.tool_calls;
      if (calls) (this.toolCalls ??= new ToolCallParts()).add(calls);
    }
    const logprobs = choice.logprobs;
    if (logprobs) (this.logprobs ??= new LogprobParts()).add(logprobs);
    const finished = scalarText(choice.finish_reason);
    if (finished) this.finishReason = finished;
  }

  /**
   * Flattens the text so far (see flattenString): it lives as long as the stream. After
   * FLATTEN_PIECES deltas and once the text grew by a quarter since, so the copying stays within a
   * few times the answer's length however long it runs.
   */
  private flatten(): void {
    this.pieces = 0;
    this.flatLength = this.text.length;
    flattenString(this.text);
  }

  /** The stream's `data: [DONE]` came: it ended as the server meant it to. */
  done(): void {
    this.ended = true;
  }

  /** Whether a finish_reason came: `[DONE]` (see {@link done}) then says nothing more. */
  get finished(): boolean {
    return this.finishReason !== null;
  }

  /** Whether any event came (a body kept for {@link finish} is needed only while none has). */
  get empty(): boolean {
    return this.chunks === 0;
  }

  /**
   * The whole answer, or throws why there is none: a stream ends quietly when the connection
   * closes early or the request is aborted, and only a finish_reason or the closing `[DONE]` proves
   * the answer is whole. Some servers send `[DONE]` and no finish_reason: that answer is kept with
   * finish_reason null, as the same answer without streaming is (retried, it would be paid for again
   * and fail the same way). `body` is the body's text when no event came and it was kept (see
   * STREAM_HEAD_CHARS).
   */
  finish(headers: HeaderSource, abort: AbortState, body?: string): CompletionResult {
    if (this.finishReason === null) {
      if (abort.aborted) throw abort.reason;
      if (this.ended) {
        if (this.choices) return this.result(headers);
        // As a whole body with no choice is (`{"choices": []}`).
        throw new AttemptError('bad_response', 'response has no choices');
      }
      // No event at all: a page, an error, a whole JSON answer or nothing, said as such.
      if (this.chunks === 0) {
        if (body !== undefined && judgedWhole(body, headers)) {
          // Judged as without streaming: an error body's words, an empty or unparsable body, a page.
          answerInBody(body, headers, undefined, true);
          throw notStreamed();
        }
        const wrong = notAStream(headers);
        if (wrong) throw wrong;
      }
      throw new AttemptError('connection', 'stream ended before the answer finished');
    }
    return this.result(headers);
  }

  private result(headers: HeaderSource): CompletionResult {
    const { text, finishReason, usage, model, refusal, reasoning } = this;
    const result: CompletionResult = { text, finishReason, usage, model, headers, ...(refusal ? { refusal } : {}) };
    if (reasoning) result.reasoning = reasoning;
    const toolCalls = this.toolCalls?.result();
    if (toolCalls) result.toolCalls = toolCalls;
    const logprobs = this.logprobs?.result();
    if (logprobs) result.logprobs = logprobs;
    return result;
  }
}

/**
 * An error a server put in the choice rather than in place of the answer: OpenRouter's
 * `choices[0].error` with finish_reason "error" (the provider behind it failed mid-answer), or a
 * finish_reason that says the server broke the answer off (vLLM's `abort`, DeepSeek's
 * `insufficient_system_resource`: see brokenOff). The answer is not whole: the attempt fails as one
 * with an error event in its stream does, on both transports, streamed or not: `http`, retried, or
 * typed by the error's `code` where that is an HTTP status (OpenRouter's 429, 502…), as an event's is.
 */
export function choiceFailure(chunk: { choices?: Array<{ error?: unknown; finish_reason?: unknown }> } | null | undefined): AttemptError | undefined {
  const choice = chunk?.choices?.[0];
  if (!choice) return undefined;
  if (choice.error === undefined && brokenOff(choice.finish_reason)) {
    return new AttemptError('http', `the server broke the answer off (finish_reason ${JSON.stringify(choice.finish_reason)})`);
  }
  if (choice.error === undefined && choice.finish_reason !== 'error') return undefined;
  const error = choice.error as { message?: unknown; code?: unknown; type?: unknown } | null | undefined;
  const said = providerErrorMessage(error) ?? (error ? JSON.stringify(error) : 'no reason given');
  if (error && hasStatusCode(error.code)) return errorInAnswer('choice', clipText(said, 500), error.code, error.type);
  const code = typeof error?.code === 'string' || typeof error?.code === 'number' ? String(error.code) : undefined;
  return new AttemptError('http', `${CHOICE_ERROR}: ${clipText(said, 500)}`, { code });
}

/**
 * A whole (not streamed) answer's body, as both transports read it: the same checks, the same
 * errors. `onDelta` gets the text at once, as a stream's would in pieces.
 */
export function wholeAnswer(text: string, headers: HeaderSource, onDelta?: (delta: string) => void): CompletionResult {
  return answerInBody(text, headers, onDelta, false);
}

/**
 * A body read as a whole answer. `streamAsked`: it came to a streamed request with no event in it
 * (see {@link StreamedAnswer.finish}), where SSE in it is a stream cut short, not a server that
 * streams when told not to.
 */
function answerInBody(text: string, headers: HeaderSource, onDelta: ((delta: string) => void) | undefined, streamAsked: boolean): CompletionResult {
  // A byte order mark before the JSON, which JSON.parse refuses: the SDK path's TextDecoder drops it,
  // and the lean stream reader too; the lean path's whole body keeps it (utf8 strings do).
  const raw = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const notJson = notAnApiBody(raw, headers.get('content-type'));
  if (notJson) throw notJson;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    // Judged only once it failed to parse: an answer pays nothing for the look.
    throw !streamAsked && heldEvents(raw) ? streamedAnyway() : err;
  }
  // `null` is JSON too: answered as `[]` or `42` are, not with a TypeError for a connection error.
  const body = (parsed ?? {}) as {
    choices?: Array<{
      message?: { content?: unknown; refusal?: unknown; tool_calls?: unknown } & ReasoningParts;
      logprobs?: unknown;
      finish_reason?: unknown;
    }>;
    usage?: Parameters<typeof toUsage>[0];
    model?: unknown;
  };
  const choice = body.choices?.[0];
  if (!choice) {
    const said = bodyErrorWords(body);
    if (said === undefined) throw new AttemptError('bad_response', 'response has no choices');
    // OpenRouter's error once a model was at work, its status as `code`: typed as that status is.
    const error = (body as { error?: { code?: unknown; type?: unknown } | null }).error;
    throw error && hasStatusCode(error.code) ? errorInAnswer('body', said, error.code, error.type) : errorInBody(said);
  }
  const failed = choiceFailure(body);
  if (failed) throw failed;
  const answer = contentText(choice.message?.content);
  const refusal = contentText(choice.message?.refusal);
  onDelta?.(answer);
  const result: CompletionResult = {
    ...(refusal ? { refusal } : {}),
    text: answer,
    finishReason: scalarText(choice.finish_reason),
    usage: body.usage ? toUsage(body.usage) : null,
    // `"model": ""` names nothing, as in a stream's first chunk: the row then says the model asked for.
    model: scalarText(body.model) || null,
    headers,
  };
  const toolCalls = wholeToolCalls(choice.message?.tool_calls);
  if (toolCalls) result.toolCalls = toolCalls;
  const logprobs = wholeLogprobs(choice.logprobs);
  if (logprobs) result.logprobs = logprobs;
  const reasoning = choice.message ? reasoningText(choice.message) : '';
  if (reasoning) result.reasoning = reasoning;
  return result;
}

/** Where servers put a reasoning model's thinking, in a message or a delta: DeepSeek's and vLLM's name, OpenRouter's and Ollama's. */
export interface ReasoningParts {
  reasoning_content?: unknown;
  reasoning?: unknown;
}

/** A message's or a delta's thinking (see CompletionResult.reasoning), '' when it has none. */
export function reasoningText(parts: ReasoningParts): string {
  return contentText(parts.reasoning_content ?? parts.reasoning);
}

/**
 * An answer's text as servers send it: a string from OpenAI; from some compatible servers an array
 * of parts (`[{"type": "text", "text": "…"}]`), whose texts are joined, or a bare number. Anything
 * else is its JSON: a row's `response` is always a string, which `--resume` reads back (an array
 * or a number there made the output one it refused), and a stream never shows `[object Object]`.
 */
export function contentText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((part) => (typeof part === 'string' ? part : textOfPart(part))).join('');
  return textOfPart(value);
}

function textOfPart(part: unknown): string {
  const text = (part as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : JSON.stringify(part);
}

/** A model name or finish reason: a string, a number or boolean as its text, nothing else. */
export function scalarText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}
