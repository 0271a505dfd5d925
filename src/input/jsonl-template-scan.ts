import { hasMessages, isBatchLine, type ScanWant } from './jsonl-field-scan.js';
import { templateFields } from './template.js';

/**
 * A template's fields, looked for over the first rows of a JSONL input (see JsonlFieldScan).
 * Rows with `messages` and Batch API lines carry their prompt otherwise: a first such row ends the scan.
 */
export function templateWant(template: string): ScanWant {
  const fields = templateFields(template);
  const data = new Set(fields);
  return {
    fields,
    ends: (row, first) => first && (isBatchLine(row, data) || hasMessages(row)),
    skips: (row) => isBatchLine(row, data),
    refusal: ({ noRowHas, fields, missing }) =>
      `--template uses ${missing.map((n) => `{{${n}}}`).join(', ')} but ${noRowHas({ no: 'no such field', a: 'such a field' })} (fields: ${fields})`,
  };
}
