/**
 * Settings a run's metadata records under a name other than their flag's. A refused resume or merge
 * said `csvDelimiter: was ";", now (not set)`, which names nothing a user types: the flag follows.
 */
const FLAG_OF: Readonly<Record<string, string>> = {
  inputFormat: '--input-format',
  promptField: '--prompt-field',
  idField: '--id-field',
  csvDelimiter: '--csv-delimiter',
  baseURL: '--base-url',
  keepFields: '--keep-fields',
  csvEscapeFormulas: '--csv-escape-formulas',
  jsonSchema: '--json-schema or --json',
  // The request parameters of every prompt, keyed as the API names them ({"top_p": 0.5}).
  params: '--seed, --top-p, --stop, --reasoning-effort or --param',
};

/** `csvDelimiter (--csv-delimiter)`; a key that is its flag's name (`model`, `template`) as it is. */
export const settingLabel = (key: string): string => (Object.hasOwn(FLAG_OF, key) ? `${key} (${FLAG_OF[key]})` : key);
