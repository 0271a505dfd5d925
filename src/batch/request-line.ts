import { cacheBody, recordRequestBody, toCompletionRequest, type TokenLimitField } from '../provider/request-body.js';
import type { StructuredRequest } from '../structured/types.js';
import type { PromptRecord } from '../types.js';
import { customIdOf, recordAnswer } from './custom-id.js';

export interface LineDefaults {
  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
  /** --max-cost's cap for lines that set no max_tokens: sent, but not part of the cache key. */
  budgetMaxTokens?: number;
  limitField: TokenLimitField;
  /** response_format and our system message, in every line exactly as in a live body. */
  structured?: StructuredRequest;
  /** The run's request parameters (--seed, --top-p, --stop, --param…); a record's own win, as live. */
  extraBody?: Record<string, unknown>;
}

/** The endpoint every line and batch names; OpenAI requires one per file. */
export const BATCH_ENDPOINT = '/v1/chat/completions';

/**
 * One Batch API request line: `custom_id` names the answer (see customIdOf), `body` exactly what a live run sends
 * without the streaming fields (a batch answers whole).
 */
export function batchRequestLine(
  record: PromptRecord,
  defaults: LineDefaults,
): { model: string; customId: string; body: Record<string, unknown>; text: string } {
  const body = batchRequestBody(record, defaults);
  const model = String(body['model']);
  const customId = customIdOf(recordAnswer(record));
  return { model, customId, body, text: JSON.stringify({ custom_id: customId, method: 'POST', url: BATCH_ENDPOINT, body }) };
}

/** The body of a record's batch line; the response cache keys an answer by it, as a live request's. */
export function batchRequestBody(record: PromptRecord, defaults: LineDefaults): Record<string, unknown> {
  const body = recordRequestBody(record, { ...defaults, stream: false }, defaults.limitField);
  delete body['stream'];
  return body;
}

/** The body a line's answer is cached under: as a live request's (`cacheBody`), without --max-cost's cap. */
export function batchCacheBody(record: PromptRecord, defaults: LineDefaults): Record<string, unknown> {
  const body = cacheBody(toCompletionRequest(record, { ...defaults, stream: false }), defaults.limitField);
  delete body['stream'];
  return body;
}

/**
 * A collected answer's cache key body, from the line as uploaded: without --max-cost's cap, or
 * undefined when the answer stopped at that cap (keyed without it, it would be a cut answer for a
 * later run that has none). `budgetCap` is the cap the run added to lines that set none.
 */
export function collectedCacheBody(
  body: Record<string, unknown>,
  finishReason: string | null,
  limitField: TokenLimitField,
  budgetCap: number | undefined,
): Record<string, unknown> | undefined {
  if (budgetCap === undefined || body[limitField] !== budgetCap) return body;
  if (finishReason === 'length') return undefined;
  const keyed = { ...body };
  delete keyed[limitField];
  return keyed;
}
