import type { ChatMessage, PromptRecord } from '../types.js';
import { checkMessages, displayPrompt, startsWithInstructions, withSystem } from './messages.js';
import type { InputOptions, InputSource } from './input-options.js';
import { paramsFromJson, ROW_REQUEST_PARAMS, systemFromJson } from './params.js';
import { isBatchLine } from './jsonl-field-scan.js';
import { fieldScanFor } from './jsonl-fields.js';
import { readLineBatches } from './read-lines.js';
import { explicitId, fallbackId } from './record-id.js';
import { renderTemplate, templateFields } from './template.js';
import { keptFields, problemRecord, sendableRecord, userMessages, type RecordOrigin } from './to-record.js';
import { keepNumbersAsWritten, numbersReadAsWritten } from '../structured/exact-numbers.js';
import { tooDeepField, tooDeepMessage, withoutTooDeep } from './nesting-depth.js';
import { errorMessage } from '../util/error-message.js';
import { isPlainObject } from '../util/is-plain-object.js';

/** Batch API `body` keys that are not passed through in `extraBody`: we set them ourselves or cannot honour them. */
const NOT_EXTRA = new Set(['messages', 'model', 'temperature', 'max_tokens', 'max_completion_tokens', 'stream', 'stream_options']);

/** JSON Lines: one object per line; blank lines are skipped but counted. */
export async function* readJsonlRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  // The first rows are held back until the prompt field, or each template field, has been seen (see JsonlFieldScan).
  const scan = fieldScanFor(options, true);
  let held: Array<{ line: number; text: string }> | undefined = [];
  for await (const lines of readLineBatches(input, options.source)) {
    for (const { line, text } of lines) {
      if (text.trim() === '') continue;
      if (held) {
        held.push({ line, text });
        if (!scan.see(text, line)) continue;
        const rows = held;
        held = undefined;
        for (const row of rows) yield jsonlRecord(row.text, row.line, options);
        continue;
      }
      yield jsonlRecord(text, line, options);
    }
  }
  if (held) {
    scan.finish();
    for (const row of held) yield jsonlRecord(row.text, row.line, options);
  }
}

/**
 * One JSONL line as a record (see {@link objectRecord}); a line that is not a JSON object is an
 * `input` error row, without fields.
 */
export function jsonlRecord(raw: string, line: number, options: InputOptions): PromptRecord {
  const origin: RecordOrigin = { source: options.source, line, id: fallbackId(line, raw) };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return problemRecord(origin, `invalid JSON (${errorMessage(err)})`);
  }
  if (!isPlainObject(value)) return problemRecord(origin, `expected a JSON object, got ${kindOf(value)}`);
  // Before anything walks the row (lossless-json, a template, --keep-fields, the request body).
  const deep = tooDeepField(value, raw.length);
  if (deep !== undefined) return tooDeepRecord(value, deep, numbersReadAsWritten(raw), origin, options);
  return objectRecord(value, keepNumbersAsWritten(raw, value) as Record<string, unknown>, origin, options);
}

/**
 * The error row of a row whose `field` nests too deep: it keeps what the row's other fields give (its
 * id, prompt and kept fields), as another bad row does, when `exact`: JSON.parse read every number
 * of the row as written. Reading them so would walk the deep field too, which is what the check avoids.
 */
export function tooDeepRecord(value: Record<string, unknown>, field: string, exact: boolean, origin: RecordOrigin, options: InputOptions): PromptRecord {
  if (!exact) return problemRecord(origin, tooDeepMessage(field), field);
  const rest = withoutTooDeep(value);
  const record = objectRecord(rest, rest, origin, options);
  const problem = problemRecord(origin, tooDeepMessage(field), field, record.prompt);
  if (record.fields !== undefined) problem.fields = record.fields;
  // A `body` without its deep fields gives the prompt, but is not the row's to keep: left out, as a deep field is.
  if (rest['body'] !== value['body']) delete problem.fields?.['body'];
  return problem;
}

/**
 * A row's record, with its fields for --keep-fields. `value` is the row as JSON.parse reads it;
 * `asWritten` the same row with each number JSON would not write back as itself (above 2^53, a
 * 20-digit decimal, `1e400`, `-0.0`) kept as written (structured/exact-numbers.ts; the row itself
 * when it has none, which a quick look at its text tells for almost every row). The id, the
 * template's fields and the kept fields come from `asWritten`, so a prompt, a result row and a
 * resume key say what the file says; request parameters and `messages` from `value`.
 */
export function objectRecord(value: Record<string, unknown>, asWritten: Record<string, unknown>, origin: RecordOrigin, options: InputOptions): PromptRecord {
  const record = rowRecord(value, asWritten, origin, options);
  if (options.keepFields !== undefined) record.fields = keptFields(asWritten, options.keepFields);
  return record;
}

/**
 * Turns one JSONL line into a record. Accepted shapes:
 * - `{"id", "prompt", …}` (the prompt key is `promptField`),
 * - `{"id", "messages": […], …}` (used as given; wins over a prompt key if both are present; data to a
 *   template that uses `{{messages}}`),
 * - an OpenAI Batch API request line `{"custom_id", "method", "url", "body": {…}}`, so files prepared for
 *   the Batch API can be run directly (see isBatchLine: another row's `body` is data).
 * Per-row `model`/`temperature`/`max_tokens` (top level, or in `body`) become params, a plain row's
 * `system` its system message, and its chat-completions parameters (`seed`, `top_p`,
 * `response_format`…, see ROW_REQUEST_PARAMS) are sent as they are; its other keys are data.
 */
function rowRecord(value: Record<string, unknown>, asWritten: Record<string, unknown>, origin: RecordOrigin, options: InputOptions): PromptRecord {
  const { template } = options;
  const idField = options.idField ?? 'id';
  const id = explicitId(asWritten[idField], idField) ?? (idField === 'custom_id' ? undefined : explicitId(asWritten['custom_id'], 'custom_id'));
  if (id !== undefined && 'id' in id) {
    origin.id = id.id;
    origin.given = true;
  }
  // Fields a template or --system consumes are its data, not request parameters: sending them would be rejected.
  const consumed = new Set([
    ...(template === undefined ? [] : templateFields(template)),
    ...(options.system === undefined ? [] : templateFields(options.system)),
  ]);
  const batch = isBatchLine(value, consumed);
  const record = requestRecord(value, asWritten, origin, options, consumed, batch);
  // A bad id, or a Batch API line for another endpoint, is the problem said first; its row still
  // shows the prompt it holds, as a bad parameter's does, so that it can be found and fixed.
  const url = batch ? value['url'] : undefined;
  if (id !== undefined && 'error' in id) return problemRecord(origin, id.error, idField, record.prompt);
  if (typeof url === 'string' && !/\/chat\/completions\/?$/.test(url)) {
    return problemRecord(origin, `"url" must be /v1/chat/completions (got ${JSON.stringify(url)})`, 'url', record.prompt);
  }
  return record;
}

/** {@link rowRecord} past the id and the url: the row's request, or its problem. */
// Long by choice: a flat sequence of field checks, each returning the problem that names its field,
// in the order they are checked.
function requestRecord(
  value: Record<string, unknown>,
  asWritten: Record<string, unknown>,
  origin: RecordOrigin,
  options: InputOptions,
  consumed: ReadonlySet<string>,
  batch: boolean,
): PromptRecord {
  const { template } = options;
  // A Batch API line keeps the request in `body`; its template fields are `body` merged over the top level.
  const request = batch ? (value['body'] as Record<string, unknown>) : value;
  const fields = batch ? { ...asWritten, ...(asWritten['body'] as Record<string, unknown>) } : asWritten;

  const params = paramsFromJson(request, consumed, batch ? (asWritten['body'] as Record<string, unknown>) : asWritten);
  // A plain row's own system message (a Batch API line's request is its body, sent as it is).
  const rowSystem = batch ? {} : systemFromJson(value, consumed, asWritten);
  // The row's own text goes as it is written: only --system's {{field}} placeholders are filled.
  const own = 'problem' in rowSystem ? undefined : rowSystem.system;
  const withOwn = (messages: ChatMessage[]) => withSystem(messages, own);
  // A body's `n` answers are billed `n` times while its row keeps one and --max-cost reserves one:
  // refused as `--param n` is (`--repeat N` asks N answers, each its own row).
  const n = batch && !consumed.has('n') ? request['n'] : undefined;
  const manyAnswers =
    n !== undefined && n !== null && n !== 1
      ? `"body.n" must be 1 (got ${JSON.stringify(n)}): llm-batch keeps one answer per prompt; --repeat N asks N`
      : undefined;
  const extraBody = batch
    ? Object.fromEntries(Object.entries(request).filter(([key]) => !NOT_EXTRA.has(key) && !consumed.has(key)))
    : Object.fromEntries(Object.entries(request).filter(([key, v]) => ROW_REQUEST_PARAMS.has(key) && !consumed.has(key) && v !== null));

  // Messages a template uses as `{{messages}}` are its data, not the conversation to send.
  const rawMessages = consumed.has('messages') ? undefined : request['messages'];
  if (rawMessages !== undefined && rawMessages !== null) {
    const checked = checkMessages(rawMessages, batch ? 'body.messages' : 'messages');
    if ('error' in checked) return problemRecord(origin, checked.error, 'messages');
    const prompt = displayPrompt(checked.messages);
    if (template !== undefined) {
      const row = batch ? 'a Batch API line with "body.messages": its request is its body' : 'a row with messages';
      return problemRecord(origin, `--template cannot apply to ${row}`, 'messages', prompt);
    }
    if ('problem' in params) return problemRecord(origin, params.problem.message, params.problem.field, prompt);
    if ('problem' in rowSystem) return problemRecord(origin, rowSystem.problem.message, 'system', prompt);
    // The row says two things for one turn: which was meant is a guess (-s gives way to the conversation's).
    if (rowSystem.system !== undefined && startsWithInstructions(checked.messages)) {
      const own = checked.messages[0]!.role === 'developer' ? 'a developer' : 'a system';
      return problemRecord(origin, `gives both "system" and ${own} message in "messages"; keep one`, 'system', prompt);
    }
    if (manyAnswers) return problemRecord(origin, manyAnswers, 'n', prompt);
    return sendableRecord(origin, prompt, withOwn(checked.messages), params.params, options.system, extraBody, fields);
  }

  let prompt: string;
  if (template !== undefined) {
    const rendered = renderTemplate(template, fields);
    if ('missing' in rendered)
      return problemRecord(origin, `template field "${rendered.missing}" is ${rendered.isNull ? 'null' : 'missing'}`, rendered.missing);
    prompt = rendered.text;
    if (prompt.trim() === '') return problemRecord(origin, 'the template produced an empty prompt');
  } else if (batch) {
    return problemRecord(origin, '"body.messages" is missing', 'messages');
  } else {
    const promptField = options.promptField ?? 'prompt';
    const promptValue = value[promptField];
    if (promptValue === undefined) {
      // A Batch API line whose body is not an object (`"body": "…"`) is read as a plain row: said as what it is.
      if ('custom_id' in value && value['body'] !== undefined && !isPlainObject(value['body']))
        return problemRecord(origin, `"body" must be an object (a Batch API request line), got ${kindOf(value['body'])}`, 'body');
      return problemRecord(origin, `no "${promptField}" or "messages" field`, promptField);
    }
    if (promptValue === null) return problemRecord(origin, `"${promptField}" is null`, promptField);
    if (typeof promptValue !== 'string') return problemRecord(origin, `"${promptField}" must be a string`, promptField);
    if (promptValue.trim() === '') return problemRecord(origin, `empty "${promptField}"`, promptField);
    prompt = promptValue;
  }
  if ('problem' in params) return problemRecord(origin, params.problem.message, params.problem.field, prompt);
  if ('problem' in rowSystem) return problemRecord(origin, rowSystem.problem.message, 'system', prompt);
  if (manyAnswers) return problemRecord(origin, manyAnswers, 'n', prompt);
  return sendableRecord(origin, prompt, withOwn(userMessages(prompt)), params.params, options.system, extraBody, fields);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
