import { readFileSync } from 'node:fs';
import { RunError } from '../errors.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { pathProblem } from '../util/path-words.js';
import { metaPath } from './side-paths.js';

/** Where a run's settings are kept next to its output, to warn when a resume changes them. */
export { metaPath };

/** The saved run settings, or undefined when there are none. Damaged JSON throws RunError('resume'). */
export function readRunMeta(outputPath: string): Record<string, unknown> | undefined {
  const path = metaPath(outputPath);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RunError(`Cannot read run metadata ${path}: ${pathProblem(err)}`, 'resume');
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new RunError(`Run metadata ${path} is not valid JSON (${(err as Error).message}); delete it to resume without the settings check.`, 'resume');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RunError(`Run metadata ${path} is not a JSON object; delete it to resume without the settings check.`, 'resume');
  }
  return value as Record<string, unknown>;
}

/**
 * Saves run settings atomically: write and fsync a temp file, then rename it over the old one,
 * so a crash leaves either the old or the new metadata, never half a file. `beforeRename`: see
 * writeFileAtomic.
 */
export function writeRunMeta(outputPath: string, meta: Record<string, unknown>, beforeRename?: () => void): void {
  const path = metaPath(outputPath);
  try {
    writeFileAtomic(path, JSON.stringify(meta, null, 2) + '\n', beforeRename);
  } catch (err) {
    if (err instanceof RunError) throw err;
    throw new RunError(`Cannot write run metadata ${path}: ${(err as Error).message}`, 'output');
  }
}

/**
 * Set when a resume found rows but no metadata: the time it recorded its own settings. Rows that
 * finished before then were made with settings nobody recorded (their input, model, template may
 * be others). Later resumes keep it; it is no setting, so no comparison looks at it.
 */
export const UNCHECKED_BEFORE_KEY = 'uncheckedBefore';

/**
 * The format the run wrote (`jsonl`, `csv`, `text`): `-o r.csv -f jsonl` writes JSONL under a CSV
 * name, and a resume, `--compact`, `merge` and `report` read it as it is (see results-format.ts).
 * Not part of the run's identity: a resume continues the file in its own format, and shards merged
 * into one file may have been written in either.
 */
export const OUTPUT_FORMAT_KEY = 'outputFormat';

/**
 * Set by a `--resume --retry-failed` run: when it started asking the failures again. A run of it
 * that stops (Ctrl-C, a budget) keeps it, so the next one (its resume hint keeps --retry-failed)
 * asks again only the failures whose last row is older: not those it answered or saw fail again.
 * A --retry-failed run that ends removes it: the next one asks every failure again.
 */
export const RETRY_FAILED_SINCE_KEY = 'retryFailedSince';

/** Keys of the metadata that say something about the run without being one of its settings. */
const NOT_COMPARED: ReadonlySet<string> = new Set([UNCHECKED_BEFORE_KEY, OUTPUT_FORMAT_KEY, RETRY_FAILED_SINCE_KEY]);

const MAX_SHOWN = 120;

function show(value: unknown): string {
  if (value === undefined) return '(not set)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** Deep equality that, like JSON, treats a key set to undefined as absent. */
function same(a: unknown, b: unknown): boolean {
  return jsonEqual(stripUndefined(a), stripUndefined(b));
}

/**
 * util.isDeepStrictEqual for what stripUndefined returns (plain objects, arrays, primitives), where
 * node:util is not imported: its ESM facade reads every export, and on node 24 that loads
 * util.parseArgs, util.diff and worker_threads (~3 ms of CPU for every run; issue 16).
 */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => jsonEqual(x, (b as unknown[])[i]));
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  return aKeys.length === Object.keys(b).length && aKeys.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], bRecord[k]));
}

function stripUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripUndefined);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => [k, stripUndefined(x)]),
    );
  }
  return v;
}

/**
 * One line per top-level setting that differs (deep compare), e.g.
 * `model: was "gpt-4o-mini", now "gpt-4o"`; a missing key shows as `(not set)`.
 * Keys come in the order of `current`, then keys only `previous` has. Long values are shortened.
 * `uncheckedBefore` and `outputFormat` are not compared. `label` names a key in the line (the CLI
 * adds the flag that sets it).
 */
export function diffRunMeta(previous: Record<string, unknown>, current: Record<string, unknown>, label: (key: string) => string = (key) => key): string[] {
  const keys = [...new Set([...Object.keys(current), ...Object.keys(previous)])].filter((key) => !NOT_COMPARED.has(key));
  return keys.filter((key) => !same(previous[key], current[key])).map((key) => `${label(key)}: was ${show(previous[key])}, now ${show(current[key])}`);
}
