import type { PromptRecord } from '../types.js';
import { checkMessages, displayPrompt } from './messages.js';
import type { InputOptions, InputSource } from './input-options.js';
import { paramsFromJson, ROW_REQUEST_PARAMS } from './params.js';
import { isBatchLine, JsonlFieldScan } from './jsonl-field-scan.js';
import { promptFieldWant } from './jsonl-fields.js';
import { templateWant } from './jsonl-template-scan.js';
import { readLines } from './read-lines.js';
import { explicitId, fallbackId } from './record-id.js';
import { renderTemplate, templateFields } from './template.js';
import { keptFields, problemRecord, sendableRecord, userMessages, type RecordOrigin } from './to-record.js';
import { errorMessage } from '../util/error-message.js';
import { isPlainObject } from '../util/is-plain-object.js';

/** Batch API `body` keys that are not passed through in `extraBody`: we set them ourselves or cannot honour them. */
const NOT_EXTRA = new Set(['messages', 'model', 'temperature', 'max_tokens', 'max_completion_tokens', 'stream', 'stream_options']);

/** JSON Lines: one object per line; blank lines are skipped but counted. */
export async function* readJsonlRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  // The first rows are held back until the prompt field, or each template field, has been seen (see JsonlFieldScan).
  const want = options.template === undefined ? promptFieldWant(options) : templateWant(options.template);
  const scan = new JsonlFieldScan(want, options.source);
  let held: Array<{ line: number; text: string }> | undefined = [];
  for await (const { line, text } of readLines(input, options.source)) {
    if (text.trim() === '') continue;
    if (held) {
      held.push({ line, text });
      if (!scan.see(text, line)) continue;
      const rows = held;
      held = undefined;
      for (const row of rows) yield withFields(jsonlRecord(row.text, row.line, options), row.text, options);
      continue;
    }
    yield withFields(jsonlRecord(text, line, options), text, options);
  }
  if (held) {
    scan.finish();
    for (const row of held) yield withFields(jsonlRecord(row.text, row.line, options), row.text, options);
  }
}

/** With --keep-fields, attaches the row's fields (parsed again: only runs that ask pay for it). */
export function withFields(record: PromptRecord, raw: string, options: InputOptions): PromptRecord {
  if (options.keepFields === undefined) return record;
  try {
    const value: unknown = JSON.parse(raw);
    if (isPlainObject(value)) record.fields = keptFields(value, options.keepFields);
  } catch {
    // a row that is not JSON has no fields; it is already an input error row
  }
  return record;
}

/**
 * Turns one JSONL line into a record. Accepted shapes:
 * - `{"id", "prompt", …}` (the prompt key is `promptField`),
 * - `{"id", "messages": […], …}` (used as given; wins over a prompt key if both are present),
 * - an OpenAI Batch API request line `{"custom_id", "method", "url", "body": {…}}`, so files prepared for
 *   the Batch API can be run directly.
 * Per-row `model`/`temperature`/`max_tokens` (top level, or in `body`) become params; a plain row's
 * chat-completions parameters (`seed`, `top_p`, `response_format`…, see ROW_REQUEST_PARAMS) are sent
 * as they are, and its other keys are data.
 */
// Long by choice: a flat sequence of field checks, each returning the problem that names its field,
// in the order they are checked.
export function jsonlRecord(raw: string, line: number, options: InputOptions): PromptRecord {
  const { source, template, system } = options;
  const origin: RecordOrigin = { source, line, id: fallbackId(line, raw) };

  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return problemRecord(origin, `invalid JSON (${errorMessage(err)})`);
  }
  if (!isPlainObject(value)) return problemRecord(origin, `expected a JSON object, got ${kindOf(value)}`);

  const idField = options.idField ?? 'id';
  const id = explicitId(value[idField], idField) ?? (idField === 'custom_id' ? undefined : explicitId(value['custom_id'], 'custom_id'));
  if (id !== undefined && 'error' in id) return problemRecord(origin, id.error, idField);
  if (id !== undefined) {
    origin.id = id.id;
    origin.given = true;
  }

  // A Batch API line keeps the request in `body`; its template fields are `body` merged over the top level.
  let request = value;
  let fields = value;
  const batch = isBatchLine(value);
  if (batch) {
    const body = value['body'];
    if (!isPlainObject(body)) return problemRecord(origin, '"body" must be an object', 'body');
    const url = value['url'];
    if (typeof url === 'string' && !/\/chat\/completions\/?$/.test(url)) {
      return problemRecord(origin, `"url" must be /v1/chat/completions (got ${JSON.stringify(url)})`, 'url');
    }
    request = body;
    fields = { ...value, ...body };
  }

  const params = paramsFromJson(request);
  // Body fields a template consumes are its data, not request parameters: sending them would be rejected.
  const consumed = new Set(template === undefined ? [] : templateFields(template));
  const extraBody = batch
    ? Object.fromEntries(Object.entries(request).filter(([key]) => !NOT_EXTRA.has(key) && !consumed.has(key)))
    : Object.fromEntries(Object.entries(request).filter(([key, v]) => ROW_REQUEST_PARAMS.has(key) && !consumed.has(key) && v !== null));

  const rawMessages = request['messages'];
  if (rawMessages !== undefined && rawMessages !== null) {
    const checked = checkMessages(rawMessages, batch ? 'body.messages' : 'messages');
    if ('error' in checked) return problemRecord(origin, checked.error, 'messages');
    const prompt = displayPrompt(checked.messages);
    if (template !== undefined) {
      return problemRecord(origin, '--template cannot apply to a row with messages', 'messages', prompt);
    }
    if ('problem' in params) return problemRecord(origin, params.problem.message, params.problem.field, prompt);
    return sendableRecord(origin, prompt, checked.messages, params.params, system, extraBody);
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
    if (promptValue === undefined) return problemRecord(origin, `no "${promptField}" or "messages" field`, promptField);
    if (promptValue === null) return problemRecord(origin, `"${promptField}" is null`, promptField);
    if (typeof promptValue !== 'string') return problemRecord(origin, `"${promptField}" must be a string`, promptField);
    if (promptValue.trim() === '') return problemRecord(origin, `empty "${promptField}"`, promptField);
    prompt = promptValue;
  }
  if ('problem' in params) return problemRecord(origin, params.problem.message, params.problem.field, prompt);
  return sendableRecord(origin, prompt, userMessages(prompt), params.params, system, extraBody);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
