/**
 * Output layer: writing result rows (JSONL, CSV, text) crash-safely, reading them back for resume,
 * repairing a torn last row, compacting, the per-output lock and the run metadata file.
 */
export { formatFromPath, type OutputFormat } from './output-format.js';
export { readBackFormat, resultsFileFormat, storedResultsFormat } from './results-format.js';
export { openFileWriter, streamWriter, writeEach, type RowWriter, type StreamWriterOptions } from './row-writer.js';
export { stdoutFileWriter } from './stdout-file-writer.js';
export { assertCsvHeader, csvLayoutFromFile, csvLayoutOfFile } from './csv-file-layout.js';
export { CSV_COLUMNS, LEGACY_CSV_COLUMNS, rowToCsvRecord, csvRecordToRow } from './csv-columns.js';
export { BadResultLineError, readResults } from './read-results.js';
export { repairPartialLine } from './repair.js';
export { loadResumeState, hasRow, isInputError, type ResumeState } from './resume-state.js';
export { isTransientFailure } from './resume-policy.js';
export { ownModelAlias, rowKey, recordKey } from './row-key.js';
export { PLAIN_CSV, type CsvLayout } from './csv-layout.js';
export type { ReadOptions } from './read-results.js';
export { compactResults, compactFile, removeCompactLeftover, type CompactStats } from './compact.js';
export { acquireLock, lockHeld, type LockHandle } from './lock.js';
export { removeDeadTemps } from './dead-temps.js';
export { metaPath, readRunMeta, writeRunMeta, diffRunMeta, OUTPUT_FORMAT_KEY, UNCHECKED_BEFORE_KEY, RETRY_FAILED_SINCE_KEY } from './run-meta.js';
