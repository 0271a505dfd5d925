import { MAX_JSON_DEPTH, nestedDeeper } from '../util/nested-deeper.js';
import { UsageError } from '../errors.js';
import type { InputEncoding } from '../input/decode-input.js';
import { type DataFlags, REASONING_EFFORT_LIST, REASONING_EFFORTS } from './data-flags.js';

/** Data handling and extra request parameters, resolved. */
export interface DataConfig {
  /** CSV output: escape cells a spreadsheet would run as formulas (off: exact data). */
  csvEscapeFormulas: boolean;
  /** Input fields carried into each row; `all` for every field; empty for none. */
  keepFields: readonly string[] | 'all';
  /** Run only the first N records. */
  limit: number | undefined;
  /** Forced input encoding; undefined: UTF-8, or UTF-16 by its BOM. */
  encoding: InputEncoding | undefined;
  /** `finish_reason: length` rows become failures. */
  failTruncated: boolean;
  /** Request-body fields added to every request (a row's own win). */
  params: Record<string, unknown>;
}

/** Keys the run sets itself: a --param for them would be overwritten or break streaming. */
const RESERVED: Record<string, string> = {
  model: 'use -m/--model',
  messages: 'messages come from the input',
  stream: 'use --stream / --no-stream',
  stream_options: 'set by --stream',
  temperature: 'use --temperature',
  max_tokens: 'use --max-tokens',
  max_completion_tokens: 'use --max-tokens',
  n: 'llm-batch keeps one answer per prompt; --repeat N asks N times',
};

export function resolveDataConfig(flags: DataFlags): DataConfig {
  const params: Record<string, unknown> = {};
  if (flags.seed !== undefined) params['seed'] = flags.seed;
  if (flags.topP !== undefined) params['top_p'] = flags.topP;
  if (flags.stop !== undefined) {
    if (flags.stop.length > 4) throw new UsageError(`--stop: at most 4 stop sequences (OpenAI's limit), got ${flags.stop.length}`);
    // A space or a line break is a stop sequence; nothing at all is an unset variable, sent on every request.
    if (flags.stop.includes(''))
      throw new UsageError('--stop is empty, so every request would send an empty stop sequence (an unset variable?): give it text, or leave --stop out');
    params['stop'] = flags.stop.length === 1 ? flags.stop[0] : flags.stop;
  }
  if (flags.reasoningEffort !== undefined) {
    const level = flags.reasoningEffort.trim().toLowerCase();
    if (!(REASONING_EFFORTS as readonly string[]).includes(level)) {
      throw new UsageError(`--reasoning-effort must be ${REASONING_EFFORT_LIST}, got ${JSON.stringify(flags.reasoningEffort)}`);
    }
    params['reasoning_effort'] = level;
  }
  for (const [key, value] of flags.param ?? []) {
    const why = RESERVED[key];
    if (why) throw new UsageError(`--param ${key}: ${why}`);
    if (key in params) throw new UsageError(`--param ${key}: already set (by its own flag or an earlier --param)`);
    if (nestedDeeper(value, MAX_JSON_DEPTH)) throw new UsageError(`--param ${key}: nested deeper than ${MAX_JSON_DEPTH} levels`);
    params[key] = value;
  }
  let keepFields: DataConfig['keepFields'] = [];
  if (flags.keepFields !== undefined) {
    const raw = flags.keepFields.trim();
    if (raw === 'all') keepFields = 'all';
    else {
      const names = raw.split(',').map((n) => n.trim());
      if (names.some((n) => n === ''))
        throw new UsageError(`--keep-fields takes field names separated by commas, or "all"; got ${JSON.stringify(flags.keepFields)}`);
      keepFields = [...new Set(names)];
    }
  }
  return {
    csvEscapeFormulas: flags.csvEscapeFormulas ?? false,
    keepFields,
    limit: flags.limit,
    encoding: flags.encoding,
    failTruncated: flags.failTruncated ?? false,
    params,
  };
}
