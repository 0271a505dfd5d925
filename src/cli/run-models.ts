/**
 * The models of a run are a set: rows are keyed on (id, model asked for, sample), so a resume may
 * list them in any order, retry some of them, or add one (a plain run grown to `-m A,B`). Only a
 * resume that shares no model with the run is another run. An added model is said on stderr: it asks
 * every prompt again, and `-m A,C` for the run's `A,B` is as likely a slip as a choice.
 */

/** The sorted, distinct models of an invocation, as the run's metadata records them. */
export const sortedModels = (models: readonly string[]): string[] => [...new Set(models)].sort();

/** The models a run's metadata lists; undefined for metadata written before the list existed. */
export function recordedModels(meta: Record<string, unknown>): string[] | undefined {
  const models = meta['models'];
  return Array.isArray(models) && models.every((m) => typeof m === 'string') ? models : undefined;
}

/** Why `models` cannot continue a run of `recorded`, in words; undefined when they may. */
export function modelsChange(recorded: readonly string[], models: readonly string[]): string | undefined {
  if (models.some((m) => recorded.includes(m))) return undefined;
  const list = (names: readonly string[]) => names.map((m) => JSON.stringify(m)).join(', ');
  return `model: ${list(models)} ${models.length === 1 ? 'was not one of' : 'were not among'} the run's models (${list(recorded)})`;
}

/** The models of this invocation that the run did not have, in the order given. */
export function addedModels(recorded: readonly string[], models: readonly string[]): string[] {
  return [...new Set(models)].filter((m) => !recorded.includes(m));
}

/** The one line that says a resume grows the run, before anything is sent. */
export function addedModelsNote(added: readonly string[], recorded: readonly string[]): string {
  const list = (names: readonly string[]) => names.map((m) => JSON.stringify(m)).join(', ');
  const one = added.length === 1;
  return `--resume adds ${one ? 'model' : 'models'} ${list(added)} to the run's ${list(recorded)}: every prompt is asked of ${one ? 'it' : 'them'} too`;
}
