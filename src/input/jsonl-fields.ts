import { InputError } from '../errors.js';
import type { InputOptions } from './input-options.js';

/** Field names that usually hold the prompt, in the order a suggestion prefers them. */
const LIKELY_PROMPT = ['question', 'text', 'input', 'query', 'instruction', 'content', 'message', 'prompt_text', 'body'];

/**
 * A JSONL file has no header, so its first object row stands in for one: when that row has no
 * prompt field, every row would likely fail the same way, one stderr line each. Refusing up front, as a CSV header is refused, names the fields seen and the flag to pass.
 * Rows with `messages` and Batch API lines carry their prompt otherwise and pass.
 */
export function checkFirstJsonlRow(row: Record<string, unknown>, line: number, options: InputOptions): void {
  const { source, template } = options;
  const fields = Object.keys(row);
  const found = fields.length === 0 ? '(none)' : fields.map((f) => JSON.stringify(f)).join(', ');
  const hasMessages = row['messages'] !== undefined && row['messages'] !== null;
  if (isBatchLine(row) || hasMessages) return; // their prompt is in `messages` (a template on them is each row's own error)
  // A template's fields are checked over the first rows, not this one alone (see JsonlTemplateScan).
  if (template !== undefined) return;
  const promptField = options.promptField ?? 'prompt';
  if (row[promptField] !== undefined && row[promptField] !== null) return;
  if (options.promptField !== undefined) {
    throw new InputError(`${source}:${line}: no "${promptField}" field in the first row (fields: ${found}); check --prompt-field or use --template`);
  }
  const guess = suggestPromptField(row, options.idField ?? 'id');
  throw new InputError(
    `${source}:${line}: no "prompt" or "messages" field in the first row (fields: ${found}); ` +
      `pass --prompt-field ${guess ?? '<field>'} or --template '…{{${guess ?? 'field'}}}…'`,
  );
}

/** The field most likely to hold the prompt: the only string field, else a usual name. */
function suggestPromptField(row: Record<string, unknown>, idField: string): string | undefined {
  const strings = Object.keys(row).filter((k) => k !== idField && k !== 'custom_id' && typeof row[k] === 'string' && (row[k] as string).trim() !== '');
  if (strings.length === 1) return strings[0];
  return LIKELY_PROMPT.find((name) => strings.includes(name)) ?? strings[0];
}

/** Batch API lines are recognised by a `body` next to any of the request envelope keys. */
function isBatchLine(row: Record<string, unknown>): boolean {
  return 'body' in row && ('custom_id' in row || 'url' in row || 'method' in row);
}
