import { RunError } from '../errors.js';
import type { Manifest } from '../batch/manifest.js';

type Check = (value: unknown) => boolean;

const whole: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const positive: Check = (v) => Number.isSafeInteger(v) && (v as number) > 0;
const text: Check = (v) => typeof v === 'string' && v !== '';
const string: Check = (v) => typeof v === 'string';
/** A count the server may leave out (an OpenAI-compatible server's request_counts, stored as it came). */
const count = (v: unknown) => v === undefined || v === null || whole(v);
const counts: Check = (v) =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  count((v as Record<string, unknown>)['completed']) &&
  count((v as Record<string, unknown>)['failed']);

/** The fields of a chunk that `status` reads, each with what it must be; the optional ones may be absent. */
const FIELDS: ReadonlyArray<[field: string, check: Check, expected: string, required: boolean]> = [
  ['n', positive, 'a whole number greater than 0', true],
  ['model', text, 'a model name', true],
  ['status', text, 'a batch status such as "in_progress"', true],
  ['lines', whole, 'a whole number of requests', true],
  ['batchId', text, 'a batch id', false],
  ['counts', counts, 'an object whose "completed" and "failed" are whole numbers', false],
  ['submittedAt', (v) => Number.isFinite(v), 'a time in ms since 1970', false],
  ['collected', (v) => typeof v === 'boolean', 'true or false', false],
  ['remainder', whole, 'a whole number', false],
  ['remainderChunk', positive, 'a batch number', false],
  ['note', string, 'a string', false],
];

function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

/**
 * The manifest as `status` shows it, refused when a chunk lacks a field it reads or holds one of the
 * wrong kind (a hand-edited or damaged file): one line naming the file and the field, instead of a
 * line saying "undefined undefined requests" or a TypeError.
 */
export function checkStatusManifest(manifest: Manifest, file: string): Manifest {
  manifest.chunks.forEach((chunk: unknown, i) => {
    const where = `batch manifest ${file} is damaged: chunks[${i}]`;
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) throw new RunError(`${where} is ${shown(chunk)}, expected an object`, 'resume');
    for (const [field, check, expected, required] of FIELDS) {
      const value = (chunk as Record<string, unknown>)[field];
      if (value === undefined && !required) continue;
      if (!check(value)) throw new RunError(`${where}.${field} ${value === undefined ? 'is missing' : `is ${shown(value)}`}, expected ${expected}`, 'resume');
    }
  });
  return manifest;
}
