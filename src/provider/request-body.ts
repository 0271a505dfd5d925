import type { PromptRecord } from '../types.js';
import type { CompletionRequest } from './types.js';

export interface RequestDefaults {
  model: string;
  temperature?: number;
  maxTokens?: number;
  stream: boolean;
}

/** A record's request: its own model/temperature/max_tokens win over the run's. */
export function toCompletionRequest(record: PromptRecord, defaults: RequestDefaults): CompletionRequest {
  return {
    model: record.params.model ?? defaults.model,
    messages: record.messages,
    temperature: record.params.temperature ?? defaults.temperature,
    max_tokens: record.params.max_tokens ?? defaults.maxTokens,
    extraBody: record.extraBody,
    stream: defaults.stream,
  };
}

/** How the answer-length cap is named on the wire. */
export type TokenLimitField = 'max_tokens' | 'max_completion_tokens';

/**
 * OpenAI itself takes `max_completion_tokens` for every chat model and rejects `max_tokens` for its
 * reasoning models (o-series, gpt-5); other OpenAI-compatible servers (vLLM, Ollama, llama.cpp,
 * OpenRouter…) all know `max_tokens`, not all the newer name.
 */
export function tokenLimitField(baseURL: string | undefined): TokenLimitField {
  if (baseURL === undefined) return 'max_completion_tokens';
  try {
    return new URL(baseURL).hostname === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens';
  } catch {
    return 'max_tokens';
  }
}

/** The JSON body POSTed to /chat/completions; `--dry-run` shows exactly this. */
export function wireBody(request: CompletionRequest, limitField: TokenLimitField = 'max_tokens'): Record<string, unknown> {
  return {
    ...request.extraBody,
    model: request.model,
    messages: request.messages,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.max_tokens !== undefined ? { [limitField]: request.max_tokens } : {}),
    stream: request.stream,
    ...(request.stream ? { stream_options: { include_usage: true } } : {}),
  };
}
