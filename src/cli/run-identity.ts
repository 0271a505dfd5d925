import type { InputFormat } from '../input/input-options.js';
import { diffRunMeta, type CsvLayout } from '../output/index.js';
import { createRedactor } from '../redact.js';
import { writesCsv, type CliConfig } from './config.js';
import { fingerprintFile, inputChange, type InputFingerprint } from './input-fingerprint.js';
import { sameServerForm } from './parse-flags.js';
import { storedOutputColumns, withoutStoredColumns } from './stored-csv-columns.js';
import { modelsChange, recordedModels, sortedModels } from './run-models.js';
import { inputCheck } from './input-decoding.js';
import { settingLabel } from './setting-label.js';

/**
 * Hash and size of the input file, so a resume can tell whether the input changed; the same read
 * checks its encoding before anything is sent. Stdin has none.
 */
export async function fingerprint(config: CliConfig): Promise<InputFingerprint | null> {
  if (config.input.kind !== 'file') return null;
  return fingerprintFile(config.input.path, undefined, inputCheck(config));
}

/**
 * What identifies a run: a resume must match it (or be forced). Never holds the key. `format` is
 * the one the input is read as: the extension's or --input-format's, or the one its first line
 * shows (recorded as `auto` before: such a record matches any).
 */
export function describeRun(
  config: CliConfig,
  inputFingerprint: InputFingerprint | null,
  format: InputFormat,
  layout: CsvLayout,
  schemaFingerprint?: string,
): Record<string, unknown> {
  return {
    // Only in structured runs (--json-schema / --json), so metadata of older runs still matches.
    ...(schemaFingerprint !== undefined ? { jsonSchema: schemaFingerprint } : {}),
    version: 1,
    input: config.input.kind === 'file' ? config.input.path : '<stdin>',
    inputFingerprint: inputFingerprint?.hash ?? null,
    inputBytes: inputFingerprint?.bytes ?? null,
    inputFormat: format,
    // Latin-1 reads bytes other than UTF-8 does (`café` either way, one of them mojibake), so each line's
    // text and its id: a resume in the other changes every row that is not ASCII. UTF-16 is read the
    // same with or without the flag (its byte order mark says so). Only when set: older outputs match.
    ...(config.data.encoding === 'latin1' ? { encoding: 'latin1' } : {}),
    template: config.template ?? null,
    system: config.system ?? null,
    promptField: config.promptField ?? null,
    idField: config.idField ?? null,
    // Another separator reads other records from the same file. Only when not a comma: older outputs match.
    ...(config.csvDelimiter !== undefined ? { csvDelimiter: config.csvDelimiter } : {}),
    model: config.model,
    // Every model of the run (`model` stays the first, for older readers): a resume checks them as a set.
    models: sortedModels(config.models),
    // Only above 1, so outputs started before it was recorded still match: merge compares it (absent is 1), a resume does not.
    ...(config.repeat > 1 ? { repeat: config.repeat } : {}),
    temperature: config.temperature ?? null,
    // This invocation's --max-tokens, recorded but compared by neither a resume nor merge (see withoutAnswerLimit).
    maxTokens: config.maxTokens ?? null,
    // A key in a path segment (`https://gateway/sk-…/v1`) is sent, never stored: `[redacted]`, the same each run.
    // `mock` (read as "written by --mock") comes from the provider kind alone: a live run's URL is always http(s)://.
    baseURL: config.provider.kind === 'mock' ? 'mock' : config.provider.baseURL ? createRedactor([config.provider.apiKey])(config.provider.baseURL) : 'openai',
    // Only set when used, so outputs started before these existed still resume.
    ...(Object.keys(config.data.params).length > 0 ? { params: config.data.params } : {}),
    ...(config.data.keepFields === 'all' ? { keepFields: 'all' } : layout.keptFields.length > 0 ? { keepFields: layout.keptFields } : {}),
    // A CSV output's only: JSONL and text escape nothing, and a CSV made from them later holds the cells as answered.
    ...(layout.escapeFormulas && writesCsv(config) ? { csvEscapeFormulas: true } : {}),
    // Only when set: older outputs have no such key, and their resume must still match.
    ...(config.shard ? { shard: `${config.shard.index}/${config.shard.count}` } : {}),
    // Not compared by a resume: what a JSONL output's conversion to CSV needs (see stored-csv-columns.ts).
    ...storedOutputColumns(layout.outputColumns),
  };
}

/**
 * Settings that differ between the run that started the output and this one, in words. An input
 * that only grew (prompts appended: ids are content hashes, so old rows still match) is not a
 * difference.
 */
export async function resumeDifferences(
  config: CliConfig,
  previous: Record<string, unknown>,
  current: Record<string, unknown>,
  input: InputFingerprint | null,
): Promise<string[]> {
  const { inputFingerprint: oldHash, inputBytes: oldBytes, ...before } = withoutAnswerLimit(withoutStoredColumns(previous));
  // Written before a key in the URL's path was redacted: the same server all the same.
  if (typeof before['baseURL'] === 'string' && config.provider.kind === 'openai')
    before['baseURL'] = createRedactor([config.provider.apiKey])(before['baseURL']);
  // Recorded from an OPENAI_BASE_URL with its trailing slash before that was trimmed as --base-url's
  // is: the same server all the same.
  // A scheme or host in capitals is the same server too.
  if (typeof before['baseURL'] === 'string') before['baseURL'] = sameServerForm(before['baseURL']);
  // A resume may ask more samples (--repeat 3 of a plain run) or fewer (--repeat 1 retrying sample 0): no other run.
  delete before['repeat'];
  // --prompt-field beside --template was ignored (it is refused now): such a run resumes without it.
  if (typeof before['template'] === 'string') before['promptField'] = null;
  const { inputFingerprint: newHash, inputBytes: _newBytes, models, repeat: _repeat, ...now } = withoutAnswerLimit(withoutStoredColumns(current));
  if (typeof now['baseURL'] === 'string') now['baseURL'] = sameServerForm(now['baseURL']);
  // Metadata from before the model list: its first model must match, as it always had to.
  const recorded = recordedModels(previous);
  const modelChange = recorded && modelsChange(recorded, models as string[]);
  if (recorded) {
    delete before['model'];
    delete before['models'];
    delete now['model'];
  }
  // Recorded for a JSONL output before it was only for CSV: it escapes nothing there, then or now.
  if (!writesCsv(config)) {
    delete before['csvEscapeFormulas'];
    delete now['csvEscapeFormulas'];
  }
  // Recorded before the format read from the first line was: that format is not known.
  if (before['inputFormat'] === 'auto') {
    delete before['inputFormat'];
    delete now['inputFormat'];
  }
  // A file then and now: its content is compared. Else the input was or is stdin or a pipe, whose
  // content is not recorded.
  const file = typeof oldHash === 'string' && config.input.kind === 'file' && input !== null ? config.input.path : undefined;
  const compared =
    oldHash === newHash
      ? null
      : file !== undefined && input !== null
        ? await inputChange(file, { hash: oldHash, bytes: oldBytes }, input, config.data.encoding)
        : `the input was ${inputKind(before['input'], oldHash)}, now it is ${inputKind(now['input'], newHash)} (what stdin or a pipe holds is not recorded, so the two cannot be compared)`;
  // Another file by name whose prompts differ is no edit of the first ("the input w.txt was edited"):
  // the `input:` line below names both.
  const otherFile = compared !== null && file !== undefined && isFilePath(before['input']) && isFilePath(now['input']) && before['input'] !== now['input'];
  const change = otherFile ? `the input is another file, with other prompts than the one the output was started from` : compared;
  // That sentence names both inputs.
  if (change !== null && file === undefined) {
    delete before['input'];
    delete now['input'];
  }
  // The same prompts under another name (`./in.txt`, `/data/in.txt`, from another folder): the
  // content decides, not how the path was typed. Another file with other content keeps both lines.
  // A pipe or device has no fingerprint to compare (null both times): its path is all there is.
  if (change === null && typeof oldHash === 'string' && isFilePath(before['input']) && isFilePath(now['input'])) {
    delete before['input'];
    delete now['input'];
  }
  const differences = diffRunMeta(before, now, settingLabel);
  if (modelChange) differences.unshift(modelChange);
  if (change) differences.unshift(change);
  return differences;
}

/** Whether the run writes CSV rows, the only ones --csv-escape-formulas escapes. */

/**
 * A run's metadata without its `maxTokens`. The answer limit is no part of which answers a run asks
 * for, only of how long they may be: a truncated row is asked again under a higher --max-tokens
 * (`--resume --retry-failed`), and a budget stop's worst case is cut by a lower one, and the response
 * cache keys an answer by its max_tokens. The metadata keeps the last invocation's, for the reader: no check reads it.
 */
export function withoutAnswerLimit(meta: Record<string, unknown>): Record<string, unknown> {
  const { maxTokens: _maxTokens, ...rest } = meta;
  return rest;
}

/**
 * Whether two runs' metadata name one input file by its content: both a file, the same fingerprint.
 * How its path is written (`./in.txt`, an absolute path, another working directory, another
 * machine's mount) is then no setting: `merge` does not compare it, and a resume keeps the one
 * recorded. A pipe or device has no fingerprint (null): its path is all there is.
 */
export function sameInputFile(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return typeof a['inputFingerprint'] === 'string' && a['inputFingerprint'] === b['inputFingerprint'] && isFilePath(a['input']) && isFilePath(b['input']);
}

/** An input in words: `stdin`, `the file in.txt`, `the pipe /dev/fd/63` (a path with no fingerprint). */
function inputKind(input: unknown, hash: unknown): string {
  if (input === '<stdin>' || typeof input !== 'string') return 'stdin';
  return typeof hash === 'string' ? `the file ${input}` : `the pipe ${input}`;
}

/** A recorded or current `input` that names a file (not `<stdin>`). */
function isFilePath(value: unknown): value is string {
  return typeof value === 'string' && value !== '<stdin>';
}
