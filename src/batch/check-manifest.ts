import { RunError } from '../errors.js';
import { isOpen, LOCAL_STATUSES } from './chunk-states.js';

type Check = (value: unknown) => boolean;

const whole: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const positive: Check = (v) => Number.isSafeInteger(v) && (v as number) > 0;
/** An amount in picodollars: large sums pass 2^53, so any finite number that is not negative. */
const amount: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const text: Check = (v) => typeof v === 'string' && v !== '';
const string: Check = (v) => typeof v === 'string';
const object: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A request file's name in the chunk folder: a path elsewhere would be read and uploaded. */
const fileName: Check = (v) => text(v) && !/[/\\]/.test(v as string) && v !== '.' && v !== '..';
/** A count the server may leave out (an OpenAI-compatible server's request_counts, stored as it came). */
const count = (v: unknown) => v === undefined || v === null || whole(v);
const counts: Check = (v) => object(v) && count((v as Record<string, unknown>)['completed']) && count((v as Record<string, unknown>)['failed']);

const rate = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
/** A price in USD per million tokens: input, output, and cached input when known. */
const price: Check = (v) => {
  const p = v as Record<string, unknown>;
  return object(v) && rate(p['input']) && rate(p['output']) && (p['cachedInput'] === undefined || rate(p['cachedInput']));
};

/** A field, what it must be, and whether it may be absent. */
type Field = [field: string, check: Check, expected: string, required: boolean];

/** The fields of a chunk that `status`, `cancel` and a `--resume` read. */
const CHUNK: readonly Field[] = [
  ['n', positive, 'a whole number greater than 0', true],
  ['model', text, 'a model name', true],
  ['file', fileName, "a file name in the request files' folder", true],
  ['lines', whole, 'a whole number of requests', true],
  ['bytes', whole, 'a whole number of bytes', true],
  ['status', text, 'a batch status such as "in_progress"', true],
  ['parent', positive, 'a batch number', false],
  ['fileId', text, 'a file id', false],
  ['createKey', text, 'a key', false],
  ['batchId', text, 'a batch id', false],
  ['previousBatchIds', (v) => Array.isArray(v) && v.every(text), 'a list of batch ids', false],
  ['counts', counts, 'an object whose "completed" and "failed" are whole numbers', false],
  ['submittedAt', (v) => Number.isFinite(v), 'a time in ms since 1970', false],
  ['collected', (v) => typeof v === 'boolean', 'true or false', false],
  ['remainder', whole, 'a whole number', false],
  ['remainderChunk', positive, 'a batch number', false],
  ['note', string, 'a string', false],
  ['reservedPico', amount, 'an amount in picodollars', false],
  ['price', price, 'a price: {"input": USD, "output": USD} per million tokens', false],
];

/** The manifest's own fields beside `version` and `chunks`. */
const TOP: readonly Field[] = [
  ['runKey', text, 'the run key its batches carry', true],
  ['planned', (v) => typeof v === 'boolean', 'true or false', true],
  ['inputErrors', whole, 'a whole number of rows', true],
  [
    'rowShape',
    (v) => object(v) && [(v as Record<string, unknown>)['csv'], (v as Record<string, unknown>)['structured']].every((x) => x === undefined || object(x)),
    'an object',
    false,
  ],
  ['budget', object, 'an object', false],
  ['failingSince', (v) => Number.isFinite(v), 'a time in ms since 1970', false],
  ['mock', (v) => typeof v === 'boolean', 'true or false', false],
  ['overwriting', (v) => object(v) && Array.isArray((v as Record<string, unknown>)['chunks']), 'a manifest', false],
];

const BUDGET: readonly Field[] = [
  ['spentPico', amount, 'an amount in picodollars', true],
  ['planned', whole, 'a whole number of requests', true],
  ['held', object, 'an object', false],
];

const HELD: readonly Field[] = [
  ['id', string, 'a record id', true],
  ['line', whole, 'a line number', true],
  ['worstPico', amount, 'an amount in picodollars', true],
];

function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

function checkFields(value: Record<string, unknown>, fields: readonly Field[], where: string): void {
  for (const [field, check, expected, required] of fields) {
    const v = value[field];
    if (v === undefined && !required) continue;
    if (!check(v)) throw new RunError(`${where}${field} ${v === undefined ? 'is missing' : `is ${shown(v)}`}, expected ${expected}`, 'resume');
  }
}

/**
 * A manifest as `status`, `cancel` and `--batch-api --resume` read it, refused when it or a chunk
 * lacks a field they read or holds one of the wrong kind (a hand-edited or damaged file): one line
 * naming the file and the field (exit 2), instead of "undefined undefined requests", a TypeError,
 * a poll that never ends or a request file read from elsewhere.
 */
export function checkManifest<M extends { chunks: readonly unknown[] }>(manifest: M, file: string): M {
  const damaged = `batch manifest ${file} is damaged: `;
  const top = manifest as unknown as Record<string, unknown>;
  checkFields(top, TOP, damaged);
  const budget = top['budget'] as Record<string, unknown> | undefined;
  if (budget) {
    checkFields(budget, BUDGET, `${damaged}budget.`);
    const held = budget['held'] as Record<string, unknown> | undefined;
    if (held) checkFields(held, HELD, `${damaged}budget.held.`);
  }
  const numbers = new Map<unknown, number>();
  manifest.chunks.forEach((chunk: unknown, i) => {
    const where = `${damaged}chunks[${i}]`;
    if (!object(chunk)) throw new RunError(`${where} is ${shown(chunk)}, expected an object`, 'resume');
    const c = chunk as Record<string, unknown>;
    checkFields(c, CHUNK, `${where}.`);
    // Its files are named by its number: two chunks with one would read (and remove) each other's.
    const same = numbers.get(c['n']);
    if (same !== undefined) throw new RunError(`${where}.n is ${shown(c['n'])}, as chunks[${same}].n is, expected a number of its own`, 'resume');
    numbers.set(c['n'], i);
    // A batch on the server (or one that was) is polled by its id: without one, nothing would end it
    // (a create never heard back from is found by its createKey while the chunk is still `uploaded`).
    if (isOpen(c as Parameters<typeof isOpen>[0]) && !LOCAL_STATUSES.has(c['status'] as string) && c['batchId'] === undefined) {
      throw new RunError(`${where}.batchId is missing, expected a batch id (its status is ${shown(c['status'])})`, 'resume');
    }
  });
  return manifest;
}
