import { recordRequestBody, type TokenLimitField } from '../provider/request-body.js';
import type { StructuredRequest } from '../structured/types.js';
import type { PromptRecord } from '../types.js';
import { customIdOf, recordAnswer } from './custom-id.js';

export interface LineDefaults {
  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
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
