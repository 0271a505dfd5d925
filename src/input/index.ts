/** The input layer: turns a txt, JSONL or CSV stream into `PromptRecord`s, lazily. */
export type { InputFormat, InputOptions, InputSource } from './input-options.js';
export { detectFormat } from './detect-format.js';
export { readRecords } from './read-records.js';
export { checkTextFields } from './text-reader.js';
export { checkCsvHeader } from './check-csv-header.js';
export { checkJsonlFields } from './check-jsonl-fields.js';
export { renderTemplate, templateFields, templateProblem } from './template.js';
export { readLines, MAX_LINE_CHARS, type Line } from './read-lines.js';
export { fallbackId } from './record-id.js';
export { placeOf } from './element-lines.js';
