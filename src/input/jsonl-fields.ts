import { hasMessages, isBatchLine, JsonlFieldScan, type ScanSeen, type ScanWant } from './jsonl-field-scan.js';
import type { ElementLineFinder } from '../types.js';
import type { InputOptions } from './input-options.js';
import { templateWant } from './jsonl-template-scan.js';
import { likelyPromptField, promptFieldHint, refusePromptFieldWithTemplate } from './prompt-field.js';
import { templateFields } from './template.js';

/**
 * The scan of an input's first rows for the fields its options name: each template field, or the
 * prompt field, an explicit --id-field and named --keep-fields. `lines`: JSONL, whose lines must include an object;
 * `elementLines`: a `.json` array's, whose refusals name an element by its file line (see placeOf).
 */
export function fieldScanFor(options: InputOptions, lines: boolean, elementLines?: ElementLineFinder): JsonlFieldScan {
  refusePromptFieldWithTemplate(options);
  const want = options.template === undefined ? promptFieldWant(options) : templateWant(options.template);
  const keepFields = options.keepFields === 'all' ? undefined : options.keepFields;
  const systemFields = options.system === undefined ? undefined : templateFields(options.system);
  return new JsonlFieldScan(want, options.source, { idField: options.idField, keepFields, systemFields, lines, elementLines });
}

/**
 * The prompt field (`prompt`, or --prompt-field), looked for over the first rows of a JSONL input
 * without a template (see JsonlFieldScan), as a template's fields are: a row without it is that row's
 * own `input` error, and only a field that no row has is refused up front, naming the fields seen and
 * the flag to pass. A row with `messages` or a Batch API line carries a prompt: the file has prompts,
 * and the scan ends there.
 */
export function promptFieldWant(options: InputOptions): ScanWant {
  const promptField = options.promptField ?? 'prompt';
  return {
    fields: [promptField],
    ends: (row) => isBatchLine(row) || hasMessages(row),
    skips: () => false,
    refusal: (seen) => promptRefusal(seen, promptField, options),
  };
}

function promptRefusal({ noRowHas, fields, first }: ScanSeen, promptField: string, options: InputOptions): string {
  if (options.promptField !== undefined) {
    return `${noRowHas({ no: `no "${promptField}" field`, a: `a "${promptField}" field` })} (fields: ${fields}); check --prompt-field or use --template`;
  }
  const guess = suggestPromptField(first, options.idField ?? 'id');
  return `${noRowHas({ no: 'no "prompt" or "messages" field', a: 'a "prompt" or "messages" field' })} (fields: ${fields}); ` + promptFieldHint(guess, 'field');
}

/** The field most likely to hold the prompt, among those with text (see likelyPromptField). */
function suggestPromptField(row: Record<string, unknown>, idField: string): string | undefined {
  return likelyPromptField(
    Object.keys(row).filter((k) => typeof row[k] === 'string' && (row[k] as string).trim() !== ''),
    idField,
  );
}
