import { hasMessages, isBatchLine, type ScanWant } from './jsonl-field-scan.js';
import { templateFields } from './template.js';

/**
 * A template's fields, looked for over the first rows of a JSONL input (see JsonlFieldScan).
 * Batch API lines carry their prompt in `body`: a first such line ends the scan. A row with
 * `messages` cannot take a template that does not use them as `{{messages}}`: such rows are passed
 * over, each its own error in a file that has other rows, and a file of nothing else is refused once.
 */
export function templateWant(template: string): ScanWant {
  const fields = templateFields(template);
  const data = new Set(fields);
  const conversation = (row: Record<string, unknown>) => !data.has('messages') && hasMessages(row);
  return {
    fields,
    ends: (row, first) => first && isBatchLine(row, data),
    skips: (row) => isBatchLine(row, data) || conversation(row),
    allSkipped: (rowsHave) =>
      `--template cannot apply to a row with "messages", and ${rowsHave} them: put {{messages}} in the template to insert each conversation as JSON, or leave --template out to send each as it is`,
    refusal: ({ noRowHas, fields, missing }) =>
      `--template uses ${missing.map((n) => `{{${n}}}`).join(', ')} but ${noRowHas({ no: 'no such field', a: 'such a field' })} (fields: ${fields})`,
  };
}
