import type { ChatMessage, PromptRecord, RequestParams } from '../types.js';
import { withSystem } from './messages.js';

/** Where a record came from; `id` is the explicit id when one could be read, else the fallback key. */
export interface RecordOrigin {
  source: string;
  line: number;
  id: string;
  /** The id was read from the input (so it may repeat), not made from the line. */
  given?: boolean;
}

/**
 * A record that will not be sent: the run reports it as an `input` error row and carries on.
 * The message is one line, `<source>:<line>: <detail>`, so it can be printed as is.
 */
export function problemRecord(origin: RecordOrigin, detail: string, field?: string, prompt = ''): PromptRecord {
  const message = `${origin.source}:${origin.line}: ${oneLine(detail)}`;
  return {
    ...(origin.given ? { idGiven: true } : {}),
    id: origin.id,
    line: origin.line,
    source: origin.source,
    prompt,
    messages: [],
    params: {},
    problem: field === undefined ? { message } : { message, field },
  };
}

/** A record to send; the run's system message is applied here so every format treats it the same. */
export function sendableRecord(
  origin: RecordOrigin,
  prompt: string,
  messages: ChatMessage[],
  params: RequestParams,
  system: string | undefined,
  extraBody?: Record<string, unknown>,
): PromptRecord {
  const record: PromptRecord = {
    ...(origin.given ? { idGiven: true } : {}),
    id: origin.id,
    line: origin.line,
    source: origin.source,
    prompt,
    messages: withSystem(messages, system),
    params,
  };
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
