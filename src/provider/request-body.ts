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

/** The JSON body POSTed to /chat/completions; `--dry-run` shows exactly this. */
export function wireBody(request: CompletionRequest): Record<string, unknown> {
  return {
    ...request.extraBody,
    model: request.model,
    messages: request.messages,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.max_tokens !== undefined ? { max_tokens: request.max_tokens } : {}),
    stream: request.stream,
    ...(request.stream ? { stream_options: { include_usage: true } } : {}),
  };
}
