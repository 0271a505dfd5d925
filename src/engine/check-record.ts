import { UsageError } from '../errors.js';
import type { PromptRecord } from '../types.js';

/**
 * A record as the engine uses it, from whatever a plain-JS caller passed: not an object, or one with
 * no `messages` to send, is a UsageError naming the record (not a TypeError from deep inside); a
 * record without `params` gets the run's defaults, as `params: {}` does. `seq` counts from 0.
 */
export function checkRecord(record: unknown, seq: number): PromptRecord {
  const which = `record ${seq + 1} of the input`;
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    const got = record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record === 'string' ? JSON.stringify(record) : typeof record;
    throw new UsageError(`${which} is not a prompt record (an object with id, prompt and messages, as readRecords makes), got ${got}`);
  }
  const { params, messages, problem, id } = record as Partial<PromptRecord>;
  // Rows are told apart (and a resume matches them) by it: without one, a row went out with no id.
  if (typeof id !== 'string' || id === '') {
    throw new UsageError(
      `${which}: id must be a non-empty string (rows are told apart by it), got ${id === undefined ? 'none' : (JSON.stringify(id) ?? typeof id)}`,
    );
  }
  const named = `${which} (id ${JSON.stringify(id)})`;
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    throw new UsageError(`${named}: params must be an object (model, temperature, max_tokens) or left out, got ${params === null ? 'null' : typeof params}`);
  }
  // A record readRecords found bad is never sent: it becomes an `input` row, messages or not.
  if (problem === undefined && !Array.isArray(messages)) {
    throw new UsageError(
      `${named} has no messages (the chat messages to send, e.g. [{ role: 'user', content: prompt }]), got ${messages === null ? 'null' : typeof messages}`,
    );
  }
  return params === undefined ? { ...(record as PromptRecord), params: {} } : (record as PromptRecord);
}
