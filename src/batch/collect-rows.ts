import type { ErrorType, ResultRow, RowError, Usage } from '../types.js';
import { entryAnswer, type IndexEntry } from './plan-chunks.js';
import { answerFields } from './custom-id.js';
import { wholeLogprobs, wholeToolCalls, withAnswerParts } from '../provider/answer-parts.js';
import { toUsage, type RawUsage } from '../provider/to-usage.js';
import { contentText, reasoningText, scalarText, type ReasoningParts } from '../provider/streamed-answer.js';
import { REGION_REFUSAL, refusesRegion } from '../provider/region-refusal.js';
import { codeOf, outOfFunds, refusesOneRequest } from '../provider/classify-error.js';
import type { AnswerScrubber } from '../provider/answer-scrubber.js';

/** Error codes a batch gives the lines it never ran: they are sent again, not reported. */
const UNFINISHED = new Set(['batch_expired', 'batch_cancelled']);

export type LineOutcome =
  /** `refusal`: the model declined (structured outputs), the content then empty. */
  | { kind: 'row'; row: ResultRow; customId: string; refusal?: string }
  /** Not run (expired, cancelled): the id goes on to another batch or a live run. */
  | { kind: 'unfinished'; id: string }
  /** `named`: the line names a custom_id (one not in the batch); else it names none (not JSON, no custom_id). */
  | { kind: 'unknown'; id: string | undefined; why: string; named: boolean };

/** A chat completion, or an error body, as a batch's output line carries it. */
interface ChatBody {
  model?: unknown;
  /** Unix seconds: when the server made this completion. */
  created?: number;
  choices?: Array<{
    message?: { content?: unknown; refusal?: unknown; tool_calls?: unknown } & ReasoningParts;
    logprobs?: unknown;
    finish_reason?: unknown;
  }>;
  usage?: RawUsage;
  error?: { message?: string; code?: string | number | null; type?: string; metadata?: unknown };
}

interface OutputLine {
  custom_id?: string;
  response?: { status_code?: number; body?: ChatBody } | null;
  error?: { code?: string | null; message?: string | null } | null;
}

/**
 * A failed line's type, as a live request's row would have it (provider/classify-error.ts), so that
 * `--resume` re-runs the same ones: out of funds is `quota` (asked again once the account is topped
 * up), a 403 that refuses one model or one input is `http`, any other 401 or 403 is `auth`.
 */
function errorType(status: number | undefined, error: { code?: unknown; type?: unknown; message?: unknown } | undefined): ErrorType {
  if (status === undefined) return 'bad_response';
  if (refusesOneRequest(status, error?.code, error)) return 'http';
  if (outOfFunds(status, error?.code, error?.type, typeof error?.message === 'string' ? error.message : '')) return 'quota';
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth';
  return 'http';
}

/**
 * When a batch ran, from its own timestamps (Unix seconds): it started in_progress at `startedSec`
 * and was done (finalizing, or ended otherwise) by `endedSec`. A line carries no time of its own
 * beyond its completion's `created`.
 */
export interface BatchTimes {
  startedSec?: number | null;
  endedSec?: number | null;
}

/** The timestamps of a batch, as rowFromBatchLine wants them. */
export function batchTimes(batch: {
  created_at?: number;
  in_progress_at?: number | null;
  finalizing_at?: number | null;
  completed_at?: number | null;
  expired_at?: number | null;
  cancelled_at?: number | null;
  failed_at?: number | null;
}): BatchTimes {
  return {
    startedSec: batch.in_progress_at ?? batch.created_at ?? null,
    endedSec: batch.finalizing_at ?? batch.completed_at ?? batch.expired_at ?? batch.cancelled_at ?? batch.failed_at ?? null,
  };
}

const iso = (sec: number | null | undefined): string | null => (typeof sec === 'number' && Number.isFinite(sec) ? new Date(sec * 1000).toISOString() : null);

/**
 * A collected row's `started_at`/`finished_at`: the Batch API says when the batch began running, and
 * (in each answer's `created`) when that completion was made; not when the line's own attempt began.
 * So started_at is the batch's in_progress_at (the earliest the line can have started) and
 * finished_at the completion's `created`, else the batch's end; both to the second.
 */
export function lineTimes(times: BatchTimes | undefined, created: number | undefined): { started_at: string | null; finished_at: string | null } {
  const started = times?.startedSec ?? null;
  let finished = typeof created === 'number' ? created : (times?.endedSec ?? null);
  if (finished !== null && started !== null && finished < started) finished = started;
  return { started_at: iso(started), finished_at: iso(finished) };
}

/** A server's words as text: a string as it is, anything else but null as its JSON. */
function wordsOf(x: unknown): string | undefined {
  if (x === undefined || x === null) return undefined;
  return typeof x === 'string' ? x : JSON.stringify(x);
}

/** An `error` that is a string (`"error": "Too many requests"`), not OpenAI's object: its words. */
const plainWords = (error: unknown): string | undefined => (typeof error === 'string' && error.trim() !== '' ? error : undefined);

/** A line's status code: a number, or one written as digits ("200"); undefined for anything else. */
function statusOf(x: unknown): number | undefined {
  const n = typeof x === 'string' && /^\d{3}$/.test(x.trim()) ? Number(x) : x;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/**
 * Turns one line of a batch's output or error file into a result row shaped like a live run's
 * (response, usage, finish_reason, model), plus `batch_id`. This is the one place collected rows are
 * made: anything a row gains (a parsed structured answer, a cache entry) hooks in here. `scrub`
 * takes the key out of the answer, as out of a live one, before the row, the report or the cache
 * see it (the error of a failed line is the caller's to redact).
 */
export function rowFromBatchLine(
  text: string,
  batchId: string,
  index: ReadonlyMap<string, IndexEntry>,
  times?: BatchTimes,
  scrub?: AnswerScrubber,
): LineOutcome {
  let value: OutputLine;
  try {
    value = JSON.parse(text) as OutputLine;
  } catch {
    return { kind: 'unknown', id: undefined, why: 'a line that is not JSON', named: false };
  }
  // `null`, a number, a list: a line, but not an object (reading its custom_id threw, and every resume again).
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { kind: 'unknown', id: undefined, why: 'a line that is not a JSON object', named: false };
  const given = value.custom_id as unknown;
  if (given === undefined || given === null) return { kind: 'unknown', id: undefined, why: 'a line with no custom_id', named: false };
  const id = typeof given === 'string' ? given : undefined;
  const entry = id === undefined ? undefined : index.get(id);
  if (id === undefined || !entry) return { kind: 'unknown', id, why: `custom_id ${JSON.stringify(given)} is not in this batch`, named: true };
  const base = { ...entryRowBase(entry), attempts: 1, latency_ms: null, batch_id: batchId };
  const fail = (error: RowError, model: string | null = null): LineOutcome => ({
    kind: 'row',
    customId: id,
    row: { ...base, response: null, error, ...lineTimes(times, undefined), model, finish_reason: null, usage: null },
  });

  if (value.error?.code && UNFINISHED.has(value.error.code)) return { kind: 'unfinished', id };
  const response = value.response;
  // A server's words of another shape than OpenAI's (an object, a number, a code as a number) are
  // said as text: the row's message and code are strings, and a message that was none threw later.
  if (typeof response !== 'object' || response === null) {
    const code = wordsOf(value.error?.code);
    const said = wordsOf(value.error?.message) ?? plainWords(value.error) ?? 'the batch returned no response for this line';
    return fail({ type: 'bad_response', message: said, ...(code ? { code } : {}) });
  }
  const status = statusOf(response.status_code);
  const body = typeof response.body === 'object' && response.body !== null ? response.body : undefined;
  if (status !== 200) {
    const said = wordsOf(body?.error?.message) ?? plainWords(body?.error) ?? (status === undefined ? 'the response has no status code' : `HTTP ${status}`);
    // A prompt past the model's context in words only is no line to ask again, as live (see codeOf).
    const code = codeOf(wordsOf(body?.error?.code), said, status);
    // As a live row: a 403 for the country or region the requests come from is worded as such, not as a key.
    const message = status === 403 && refusesRegion(code, said) ? `${REGION_REFUSAL} (HTTP 403: ${said})` : said;
    return fail({ type: errorType(status, body?.error), message, ...(status !== undefined ? { status } : {}), ...(code ? { code } : {}) });
  }
  const first: unknown = Array.isArray(body?.choices) ? body.choices[0] : undefined;
  const choice = typeof first === 'object' && first !== null ? (first as NonNullable<NonNullable<ChatBody['choices']>[number]>) : undefined;
  if (!choice || !body) return fail({ type: 'bad_response', message: 'response has no choices', status: 200 }, servedModel(body?.model, scrub));
  // A missing or null count is 0, as ever; one that is no count ("many", -3) makes the usage unknown.
  // Cached prompt tokens bill lower, at the Batch discount too: the budget and the summary price them.
  const usage: Usage | null = body.usage
    ? toUsage({ ...body.usage, prompt_tokens: body.usage.prompt_tokens ?? 0, completion_tokens: body.usage.completion_tokens ?? 0 })
    : null;
  const said = {
    text: contentText(choice.message?.content),
    refusal: contentText(choice.message?.refusal) || undefined,
    toolCalls: wholeToolCalls(choice.message?.tool_calls),
    logprobs: wholeLogprobs(choice.logprobs),
    reasoning: (choice.message && reasoningText(choice.message)) || undefined,
    model: scalarText(body.model),
    finishReason: scalarText(choice.finish_reason),
  };
  const answer = scrub ? scrub(said) : said;
  const { refusal } = answer;
  // As a live answer's row: only the answers that have them carry their tool calls, logprobs and reasoning.
  const row = withAnswerParts(
    {
      ...base,
      response: answer.text,
      error: null,
      ...lineTimes(times, body.created),
      model: answer.model,
      finish_reason: answer.finishReason,
      usage,
    },
    answer,
  );
  return { kind: 'row', customId: id, ...(refusal ? { refusal } : {}), row };
}

/** The name a line's body gives its model, without the key. */
function servedModel(model: unknown, scrub: AnswerScrubber | undefined): string | null {
  const name = scalarText(model);
  return scrub && name ? scrub({ text: '', model: name }).model : name;
}

/** The fields a row of this line has whatever became of it: which record, which answer. */
export function entryRowBase(entry: IndexEntry): Pick<ResultRow, 'id' | 'line' | 'prompt' | 'input' | 'requested_model' | 'sample'> {
  const answer = entryAnswer(entry);
  return { id: answer.id, line: entry[1], prompt: entry[2], ...(entry[3] ? { input: entry[3] } : {}), ...answerFields(answer) };
}
