import { withInstructions } from '../structured/instructions.js';
import type { StructuredRequest } from '../structured/types.js';
import type { PromptRecord } from '../types.js';
import type { CompletionRequest, TokenLimitField } from './completion.js';
import { isAzureHost } from './openai-url.js';

export interface RequestDefaults {
  model: string;
  temperature?: number;
  maxTokens?: number;
  /** --max-cost's cap for requests that set no max_tokens (marked `budgetCap`: the cache keys without it). */
  budgetMaxTokens?: number;
  stream: boolean;
  /** Request-body fields for every request; a record's own win. */
  extraBody?: Record<string, unknown>;
  /** A schema or JSON mode: response_format and/or a system message, on every request (Batch API lines too). */
  structured?: StructuredRequest;
}

/** A record's request: its own model/temperature/max_tokens win over the run's. */
export function toCompletionRequest(record: PromptRecord, defaults: RequestDefaults): CompletionRequest {
  const asked = record.params.max_tokens ?? defaults.maxTokens;
  const request: CompletionRequest = {
    model: record.params.model ?? defaults.model,
    messages: withInstructions(record.messages, defaults.structured),
    temperature: record.params.temperature ?? defaults.temperature,
    max_tokens: asked ?? defaults.budgetMaxTokens,
    extraBody: defaults.extraBody && Object.keys(defaults.extraBody).length > 0 ? { ...defaults.extraBody, ...record.extraBody } : record.extraBody,
    ...(defaults.structured?.responseFormat ? { response_format: defaults.structured.responseFormat } : {}),
    stream: defaults.stream,
  };
  if (asked === undefined && defaults.budgetMaxTokens !== undefined) request.budgetCap = true;
  return request;
}

/** The body a request's answer is cached under: as sent, without --max-cost's own cap. */
export function cacheBody(request: CompletionRequest, limitField: TokenLimitField = 'max_tokens'): Record<string, unknown> {
  const body = wireBody(request, limitField);
  if (request.budgetCap) delete body[limitField];
  return body;
}

export type { TokenLimitField };

/**
 * OpenAI itself, and Azure OpenAI, take `max_completion_tokens` for every chat model and reject
 * `max_tokens` for reasoning models (o-series, gpt-5); other OpenAI-compatible servers (vLLM, Ollama,
 * llama.cpp, OpenRouter…) all know `max_tokens`, not all the newer name.
 */
export function tokenLimitField(baseURL: string | undefined): TokenLimitField {
  if (baseURL === undefined) return 'max_completion_tokens';
  try {
    const host = new URL(baseURL).hostname;
    const openai = host === 'api.openai.com' || isAzureHost(host);
    return openai ? 'max_completion_tokens' : 'max_tokens';
  } catch {
    return 'max_tokens';
  }
}

/** The JSON body POSTed to /chat/completions; `--dry-run` shows exactly this. */
export function wireBody(request: CompletionRequest, limitField: TokenLimitField = 'max_tokens'): Record<string, unknown> {
  // Assigned in turn rather than spread from conditional literals (once per request, issue 16);
  // the keys and their order are those of `{ ...extraBody, model, messages, … }`.
  const body: Record<string, unknown> = request.extraBody ? { ...request.extraBody } : {};
  body.model = request.model;
  body.messages = request.messages;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.max_tokens !== undefined) body[limitField] = request.max_tokens;
  if (request.response_format !== undefined) body.response_format = request.response_format;
  body.stream = request.stream;
  if (request.stream && request.streamUsage !== false) body.stream_options = { include_usage: true };
  return body;
}

/**
 * The body a record's request carries: the one function both a live run and a Batch API line build
 * it with (a cache key or a response format added later belongs here too).
 */
export function recordRequestBody(record: PromptRecord, defaults: RequestDefaults, limitField: TokenLimitField): Record<string, unknown> {
  return wireBody(toCompletionRequest(record, defaults), limitField);
}
