import type { RecordProblem, RequestParams } from '../types.js';

export type ParamsResult = { params: RequestParams } | { problem: RecordProblem };

/**
 * Per-row overrides from a JSON object (a JSONL row, or a Batch API `body`); `null` counts as absent.
 * `max_completion_tokens` (OpenAI's newer name) is read as `max_tokens`: the provider names it on the
 * wire as the server expects.
 */
export function paramsFromJson(row: Record<string, unknown>): ParamsResult {
  const params: RequestParams = {};
  const { model, temperature } = row;
  const given = (name: string) => row[name] !== undefined && row[name] !== null;
  // Two caps for one answer: whichever we picked, the row's author meant the other one somewhere.
  if (given('max_tokens') && given('max_completion_tokens')) {
    return { problem: { message: 'gives both "max_tokens" and "max_completion_tokens"; keep one (they are the same cap)', field: 'max_completion_tokens' } };
  }
  const limitName = given('max_tokens') ? 'max_tokens' : 'max_completion_tokens';
  const max_tokens = row[limitName];
  if (model !== undefined && model !== null) {
    if (typeof model !== 'string' || model.trim() === '') return bad('model', 'a non-empty string', model);
    params.model = model.trim();
  }
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== 'number' || !Number.isFinite(temperature)) return bad('temperature', 'a number', temperature);
    params.temperature = temperature;
  }
  if (max_tokens !== undefined && max_tokens !== null) {
    if (typeof max_tokens !== 'number' || !Number.isSafeInteger(max_tokens) || max_tokens <= 0) {
      return bad(limitName, 'a positive integer', max_tokens);
    }
    params.max_tokens = max_tokens;
  }
  return { params };
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const COUNT = /^\+?\d+$/;

/**
 * Per-row overrides from CSV cells (always text); blank cells mean "use the run's value".
 * Numbers are matched strictly because `Number()` would accept `''`, `'0x10'` and `'Infinity'`.
 */
export function paramsFromCsv(row: Record<string, string | undefined>): ParamsResult {
  const params: RequestParams = {};
  const model = row['model']?.trim();
  const temperature = row['temperature']?.trim();
  const maxTokens = row['max_tokens']?.trim();
  if (model) params.model = model;
  if (temperature) {
    if (!DECIMAL.test(temperature)) return bad('temperature', 'a number', temperature);
    params.temperature = Number(temperature);
  }
  if (maxTokens) {
    const n = Number(maxTokens);
    if (!COUNT.test(maxTokens) || !Number.isSafeInteger(n) || n <= 0) return bad('max_tokens', 'a positive integer', maxTokens);
    params.max_tokens = n;
  }
  return { params };
}

function bad(field: string, expected: string, got: unknown): { problem: RecordProblem } {
  const shown = JSON.stringify(got) ?? String(got);
  return {
    problem: { message: `"${field}" must be ${expected} (got ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown})`, field },
  };
}

/**
 * Chat-completions parameters a plain JSONL row may set for itself, sent as they are. Other keys
 * of a row are its data (template fields, --keep-fields), never sent: an unknown key would make
 * the API reject the request. `user` and `metadata` are left out on purpose: as column names they
 * are far more often data than the API's fields.
 */
export const ROW_REQUEST_PARAMS: ReadonlySet<string> = new Set([
  'seed',
  'top_p',
  'stop',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'response_format',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning_effort',
  'verbosity',
  'service_tier',
  'prediction',
  'modalities',
  'audio',
  'web_search_options',
  // Sampling extensions of OpenAI-compatible servers (vLLM, llama.cpp, Ollama's /v1).
  'top_k',
  'min_p',
  'repetition_penalty',
  'guided_json',
  'guided_choice',
  'guided_regex',
  'guided_grammar',
  'chat_template_kwargs',
]);
