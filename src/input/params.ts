import type { RecordProblem, RequestParams } from '../types.js';
import { stringifyExact } from '../structured/exact-numbers.js';

export type ParamsResult = { params: RequestParams } | { problem: RecordProblem };

const NONE: ReadonlySet<string> = new Set();

/**
 * Per-row overrides from a JSON object (a JSONL row, or a Batch API `body`); `null` counts as absent.
 * `max_completion_tokens` (OpenAI's newer name) is read as `max_tokens`: the provider names it on the
 * wire as the server expects. A field in `data` (one a template uses: a weather table's
 * `temperature`, a catalogue's `model`) is the row's data, not a parameter. `written` is the row with
 * its numbers as written (see objectRecord), for a refusal: `1e400` as `1e400`, not JSON's `null`.
 */
export function paramsFromJson(row: Record<string, unknown>, data: ReadonlySet<string> = NONE, written: Record<string, unknown> = row): ParamsResult {
  const params: RequestParams = {};
  const given = (name: string) => !data.has(name) && row[name] !== undefined && row[name] !== null;
  const model = given('model') ? row['model'] : undefined;
  const temperature = given('temperature') ? row['temperature'] : undefined;
  if (given('max_tokens') && given('max_completion_tokens')) return BOTH_CAPS;
  const limitName = given('max_tokens') ? 'max_tokens' : 'max_completion_tokens';
  const max_tokens = row[limitName];
  if (model !== undefined) {
    if (typeof model !== 'string' || model.trim() === '') return bad('model', 'a non-empty string', written['model']);
    params.model = model.trim();
  }
  if (temperature !== undefined) {
    if (typeof temperature !== 'number' || !inTemperatureRange(temperature)) return bad('temperature', TEMPERATURE, written['temperature']);
    params.temperature = temperature;
  }
  if (given(limitName)) {
    if (typeof max_tokens !== 'number' || !Number.isSafeInteger(max_tokens) || max_tokens <= 0) {
      return bad(limitName, 'a positive integer', written[limitName]);
    }
    params.max_tokens = max_tokens;
  }
  return { params };
}

/**
 * A JSON row's own system message: it wins over -s/--system, as the row's other parameters win over
 * their flags. `null` counts as absent, and a `system` the template uses (`data`) is its data.
 */
export function systemFromJson(
  row: Record<string, unknown>,
  data: ReadonlySet<string> = NONE,
  written: Record<string, unknown> = row,
): { system?: string } | { problem: RecordProblem } {
  const system = data.has('system') ? undefined : row['system'];
  if (system === undefined || system === null) return {};
  // As -s refuses a blank one: an empty system message sent on the row's request says nothing.
  if (typeof system !== 'string' || system.trim() === '') return bad('system', 'a non-empty string', written['system']);
  return { system };
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const COUNT = /^\+?\d+$/;

/**
 * Per-row overrides from CSV cells (always text), as paramsFromJson reads a row's (`max_completion_tokens`
 * too); blank cells mean "use the run's value", and so do the columns in `data` (the template's).
 * Numbers are matched strictly because `Number()` would accept `''`, `'0x10'` and `'Infinity'`.
 */
export function paramsFromCsv(row: Record<string, string | undefined>, data: ReadonlySet<string> = NONE): ParamsResult {
  const params: RequestParams = {};
  const cell = (name: string) => (data.has(name) ? undefined : row[name]?.trim());
  const model = cell('model');
  const temperature = cell('temperature');
  if (cell('max_tokens') && cell('max_completion_tokens')) return BOTH_CAPS;
  const limitName = cell('max_tokens') ? 'max_tokens' : 'max_completion_tokens';
  const maxTokens = cell(limitName);
  if (model) params.model = model;
  if (temperature) {
    if (!DECIMAL.test(temperature) || !inTemperatureRange(Number(temperature))) return bad('temperature', TEMPERATURE, temperature);
    params.temperature = Number(temperature);
  }
  if (maxTokens) {
    const n = Number(maxTokens);
    if (!COUNT.test(maxTokens) || !Number.isSafeInteger(n) || n <= 0) return bad(limitName, 'a positive integer', maxTokens);
    params.max_tokens = n;
  }
  return { params };
}

/** Two caps for one answer: whichever we picked, the row's author meant the other one somewhere. */
const BOTH_CAPS: { problem: RecordProblem } = {
  problem: { message: 'gives both "max_tokens" and "max_completion_tokens"; keep one (they are the same cap)', field: 'max_completion_tokens' },
};

/** As --temperature takes it: a row's own value outside it would fail its request with a 400. */
const TEMPERATURE = 'a number from 0 to 2';
const inTemperatureRange = (t: number): boolean => Number.isFinite(t) && t >= 0 && t <= 2;

function bad(field: string, expected: string, got: unknown): { problem: RecordProblem } {
  const shown = stringifyExact(got) ?? String(got);
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
