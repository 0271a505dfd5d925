import { UsageError } from '../errors.js';
import type { PromptRecord } from '../types.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { isModelName, isPositive, isTemperature, isWholeNumber, shown } from './batch-options.js';

/**
 * A record as the engine uses it, from whatever a plain-JS caller passed: not an object, or one with
 * no `messages` to send, is a UsageError naming the record (not a TypeError from deep inside, or a
 * request the server refuses); a record without `params` gets the run's defaults, as `params: {}`
 * does. `seq` counts from 0.
 */
export function checkRecord(record: unknown, seq: number): PromptRecord {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    const got = record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record === 'string' ? JSON.stringify(record) : typeof record;
    throw new UsageError(`${which(seq)} is not a prompt record (an object with id, prompt and messages, as readRecords makes), got ${got}`);
  }
  const { params, messages, problem, id } = record as Partial<PromptRecord>;
  // Rows are told apart (and a resume matches them) by it: without one, a row went out with no id.
  if (typeof id !== 'string' || id === '') {
    throw new UsageError(
      `${which(seq)}: id must be a non-empty string (rows are told apart by it), got ${id === undefined ? 'none' : (JSON.stringify(id) ?? typeof id)}`,
    );
  }
  if (params !== undefined && !isPlainObject(params)) {
    throw new UsageError(
      `${named(seq, id)}: params must be an object (model, temperature, max_tokens) or left out, got ${params === null ? 'null' : Array.isArray(params) ? 'an array' : typeof params}`,
    );
  }
  // Its row is an `input` error row with this message: without one, the row said nothing.
  if (problem !== undefined && (!isPlainObject(problem) || typeof problem.message !== 'string')) {
    throw new UsageError(`${named(seq, id)}: problem must be an object with a message (a string) or left out, got ${shown(problem)}`);
  }
  // A record readRecords found bad is never sent: it becomes an `input` row, messages or not.
  if (problem === undefined) {
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new UsageError(
        `${named(seq, id)} has no messages (the chat messages to send, e.g. [{ role: 'user', content: prompt }]), got ${messages === null ? 'null' : Array.isArray(messages) ? 'an empty array' : typeof messages}`,
      );
    }
    checkSent(record as PromptRecord, seq);
  }
  return params === undefined ? { ...(record as PromptRecord), params: {} } : (record as PromptRecord);
}

/**
 * What goes into the record's request, checked as the run's own options are (batch-options.ts): a
 * string `temperature` or a `max_tokens` of -1 was sent as it was, an `extraBody` string spread
 * into the body letter by letter, and a `null` message failed the token estimate with a TypeError.
 */
function checkSent(record: PromptRecord, seq: number): void {
  const { messages, extraBody, sample, params, line, prompt } = record;
  // What its row says of it: a row's `line` and `prompt` are a number and a string.
  if (!isPositive(line, true)) refuse(seq, record.id, 'line must be a positive integer (its place in the input)', line);
  if (typeof prompt !== 'string') refuse(seq, record.id, 'prompt must be a string (what its row shows of it)', prompt);
  for (let at = 0; at < messages.length; at++) {
    if (!isPlainObject(messages[at])) refuse(seq, record.id, `messages[${at}] must be an object (a chat message: role and content)`, messages[at]);
  }
  if (params !== undefined) {
    const { model, temperature, max_tokens } = params as Record<string, unknown>;
    if (model !== undefined && !isModelName(model)) refuse(seq, record.id, 'params.model must be a non-empty string or left out', model);
    if (temperature !== undefined && !isTemperature(temperature))
      refuse(seq, record.id, 'params.temperature must be a number from 0 to 2 or left out', temperature);
    if (max_tokens !== undefined && !isPositive(max_tokens, true))
      refuse(seq, record.id, 'params.max_tokens must be a positive integer or left out', max_tokens);
  }
  if (extraBody !== undefined && !isPlainObject(extraBody)) refuse(seq, record.id, 'extraBody must be an object (request-body fields) or left out', extraBody);
  // Part of the row and of the cache key: expandMatrix numbers them 0, 1, 2…
  if (sample !== undefined && !isWholeNumber(sample)) refuse(seq, record.id, 'sample must be a whole number >= 0 or left out', sample);
}

function refuse(seq: number, id: string, what: string, value: unknown): never {
  throw new UsageError(`${named(seq, id)}: ${what}, got ${shown(value)}`);
}

const which = (seq: number): string => `record ${seq + 1} of the input`;

/** Made only for a message: a record is checked every time a run sends one (issue 16). */
const named = (seq: number, id: unknown): string => `${which(seq)} (id ${JSON.stringify(id)})`;
