import { diffRunMeta } from '../output/index.js';
import { sameInputFile, withoutAnswerLimit } from './run-identity.js';
import { recordedModels, sortedModels } from './run-models.js';
import { withoutStoredColumns } from './stored-csv-columns.js';
import { settingLabel } from './setting-label.js';

/**
 * The settings merge compares between outputs, as a set where the run's are one: the models (in any
 * order: `-m A,B` and `-m B,A` ask the same answers) and `--repeat` (absent in metadata of a single
 * sample, or written before it was recorded: 1). The shard is not compared, nor the stored CSV columns
 * (the schema's fingerprint is, and older outputs lack them), nor --max-tokens, which a resume may
 * change too (see withoutAnswerLimit): shards asked under different limits answered the same prompts.
 */

/** A run's models from its metadata: its list, else (metadata from before the list) its one model; undefined if neither. */
export function runModelsOf(meta: Record<string, unknown>): string[] | undefined {
  const listed = recordedModels(meta);
  if (listed) return sortedModels(listed);
  return typeof meta['model'] === 'string' ? [meta['model']] : undefined;
}

/** A run's samples per (record, model) from its metadata: 1 unless it says more. */
export function runRepeatOf(meta: Record<string, unknown>): number {
  const repeat = meta['repeat'];
  return typeof repeat === 'number' && Number.isInteger(repeat) && repeat > 1 ? repeat : 1;
}

/** The models in words: `model: was "A", now "B"` for one each, else the sorted lists. */
function modelsDifference(first: Record<string, unknown>, other: Record<string, unknown>): string | undefined {
  const a = runModelsOf(first);
  const b = runModelsOf(other);
  if (!a || !b) return diffRunMeta({ model: first['model'] }, { model: other['model'] })[0];
  // Metadata from before the list knows only its first model: that one must be among the other's.
  const aKnown = recordedModels(first) !== undefined;
  const bKnown = recordedModels(other) !== undefined;
  if (aKnown !== bKnown) {
    const [single, list] = aKnown ? [b, a] : [a, b];
    if (list.includes(single[0]!)) return undefined;
  } else if (a.length === b.length && a.every((m, i) => m === b[i])) return undefined;
  return a.length === 1 && b.length === 1 ? diffRunMeta({ model: a[0] }, { model: b[0] })[0] : diffRunMeta({ models: a }, { models: b })[0];
}

/**
 * How `other`'s run settings differ from `first`'s, one line each (see diffRunMeta): the models as a
 * set, `--repeat`, then every other setting but the shard and --max-tokens (the merged file's
 * metadata keeps the first output's). The input is compared by its content, as a resume compares it:
 * shards that read one file named another way (`in.jsonl`, `./in.jsonl`, another machine's mount)
 * are one run.
 */
export function mergeDifferences(first: Record<string, unknown>, other: Record<string, unknown>): string[] {
  const sameInput = sameInputFile(first, other);
  const strip = (meta: Record<string, unknown>) => {
    const { shard: _shard, model: _model, models: _models, repeat: _repeat, ...rest } = withoutAnswerLimit(withoutStoredColumns(meta));
    if (sameInput) delete rest['input'];
    return rest;
  };
  const models = modelsDifference(first, other);
  const repeat = runRepeatOf(first) === runRepeatOf(other) ? undefined : `repeat: was ${runRepeatOf(first)}, now ${runRepeatOf(other)}`;
  return [...(models ? [models] : []), ...(repeat ? [repeat] : []), ...diffRunMeta(strip(first), strip(other), settingLabel)];
}
