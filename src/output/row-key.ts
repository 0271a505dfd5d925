import type { PromptRecord, ResultRow } from '../types.js';

/**
 * What makes two rows "the same answer" for resume, --retry-failed and compaction: the last row per
 * key wins. The key is (id, model asked for, sample). A row of a plain run (no `requested_model`, no
 * `sample`) is (id, the run's model, 0), so a plain run later resumed with --repeat 3 pays only for
 * samples 1 and 2, and one resumed with a second -m only for the new model. `runModel` is the model
 * in the file's run metadata; a plain run's key is its id alone, as it always was.
 */
export function answerKey(id: string, requestedModel: string | null | undefined, sample: number | undefined, runModel?: string | null): string {
  const model = requestedModel === undefined || requestedModel === null || requestedModel === runModel ? '' : requestedModel;
  const s = sample ?? 0;
  return model === '' && s === 0 ? id : `${id}\u0000${model}\u0000${s}`;
}

export function rowKey(row: Pick<ResultRow, 'id' | 'requested_model' | 'sample'>, runModel?: string | null): string {
  return answerKey(row.id, row.requested_model, row.sample, runModel);
}

/** The key a record's row will have (a record outside a model × sample run is keyed by its id). */
export function recordKey(record: Pick<PromptRecord, 'id' | 'params' | 'sample'>, runModel?: string | null): string {
  return record.sample === undefined ? record.id : answerKey(record.id, record.params.model, record.sample, runModel);
}

/**
 * The other key a record that names its own model (a JSONL `"model"`) may have its row under. Its
 * answer is the same whatever -m and --repeat say, but a plain run keys its row by id alone and a
 * model × sample run as (id, its model, sample): a resume that changed -m or --repeat looked for the
 * other form, asked it again, paid again and wrote a second row. Undefined for any other record.
 */
export function ownModelAlias(record: Pick<PromptRecord, 'id' | 'params' | 'sample' | 'ownModel'>, runModel?: string | null): string | undefined {
  if (record.sample === undefined) return record.params.model === undefined ? undefined : answerKey(record.id, record.params.model, 0, runModel);
  return record.ownModel && record.sample === 0 ? record.id : undefined;
}

/**
 * A key as a CSV holds it. Its cells are UTF-8, which has no encoding for a lone UTF-16 surrogate
 * (a JSONL id `"s\ud800"`): it is written as U+FFFD, and read back so. JSONL keeps it (escaped).
 */
export function csvStoredKey(key: string): string {
  return key.replace(/\p{Cs}/gu, '\uFFFD');
}
