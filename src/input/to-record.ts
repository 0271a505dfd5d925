import type { ChatMessage, ElementLineFinder, PromptRecord, RequestParams } from '../types.js';
import { placeOf } from './element-lines.js';
import { startsWithInstructions, withSystem } from './messages.js';
import { renderTemplate, templateFields } from './template.js';

/** Where a record came from; `id` is the explicit id when one could be read, else the fallback key. */
export interface RecordOrigin {
  source: string;
  line: number;
  id: string;
  /** The id was read from the input (so it may repeat), not made from the line. */
  given?: boolean;
  /** A `.json` element's: where the elements begin in the file (see PromptRecord.elementLines). */
  elementLines?: ElementLineFinder;
}

/**
 * A record that will not be sent: the run reports it as an `input` error row and carries on.
 * The message is one line, `<source>:<line>: <detail>` (see placeOf), so it can be printed as is.
 */
export function problemRecord(origin: RecordOrigin, detail: string, field?: string, prompt = ''): PromptRecord {
  const message = `${placeOf(origin)}: ${oneLine(detail)}`;
  const record: PromptRecord = {
    ...(origin.given ? { idGiven: true } : {}),
    id: origin.id,
    line: origin.line,
    source: origin.source,
    prompt,
    messages: [],
    params: {},
    problem: field === undefined ? { message } : { message, field },
  };
  if (origin.elementLines) record.elementLines = origin.elementLines;
  return record;
}

/**
 * A record to send; the run's system message is applied here so every format treats it the same.
 * Its `{{field}}` placeholders are filled from `fields`, the row's (as a template's are); a field
 * that is missing or null makes the record an input error row, as it does in a template. A row
 * without fields (a text line) cannot fill one: the CLI refuses that before reading.
 */
export function sendableRecord(
  origin: RecordOrigin,
  prompt: string,
  messages: ChatMessage[],
  params: RequestParams,
  system: string | undefined,
  extraBody?: Record<string, unknown>,
  fields?: Record<string, unknown>,
): PromptRecord {
  let filled = system;
  // A row whose messages start with their own system message does not get the run's: nothing to fill.
  if (system !== undefined && !startsWithInstructions(messages) && templateFields(system).length > 0) {
    if (fields === undefined) return problemRecord(origin, `--system uses ${placeholders(system)}, but this row has no fields to fill it`, undefined, prompt);
    const rendered = renderTemplate(system, fields);
    if ('missing' in rendered)
      return problemRecord(origin, `--system field "${rendered.missing}" is ${rendered.isNull ? 'null' : 'missing'}`, rendered.missing, prompt);
    filled = rendered.text;
    // As a blank --system is refused up front: an empty system message would be sent and billed.
    if (filled.trim() === '') return problemRecord(origin, '--system produced an empty system message', undefined, prompt);
  }
  const record: PromptRecord = {
    ...(origin.given ? { idGiven: true } : {}),
    id: origin.id,
    line: origin.line,
    source: origin.source,
    prompt,
    messages: withSystem(messages, filled),
    params,
  };
  if (origin.elementLines) record.elementLines = origin.elementLines;
  if (extraBody !== undefined && Object.keys(extraBody).length > 0) record.extraBody = extraBody;
  return record;
}

/** A single user turn: the shape of every txt row, and of CSV/JSONL rows with a prompt or template. */
export function userMessages(prompt: string): ChatMessage[] {
  return [{ role: 'user', content: prompt }];
}

/** Problem details quote user data (JSON errors, CSV cells): keep them to one short line for logs and tables. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s*[\r\n]+\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** --keep-fields: the fields of a row to carry into its result row (named ones that are present, or all). */
export function keptFields(row: Record<string, unknown>, keep: readonly string[] | 'all'): Record<string, unknown> {
  if (keep === 'all') return { ...row };
  // Own keys only, and set as data (fromEntries): a field named `__proto__` or `constructor` is a field.
  return Object.fromEntries(keep.filter((name) => Object.hasOwn(row, name) && row[name] !== undefined).map((name) => [name, row[name]]));
}

/** `{{a}}, {{b}}`: a text's placeholders, as a message names them. */
export function placeholders(text: string): string {
  return templateFields(text)
    .map((name) => `{{${name}}}`)
    .join(', ');
}
