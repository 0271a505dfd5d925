import { UsageError } from '../errors.js';
import type { InputOptions } from './input-options.js';

/**
 * Refuses --prompt-field beside --template: the template builds every prompt, so the field named
 * would be ignored, a misspelt one unnoticed (as text input refuses flags it would ignore).
 */
export function refusePromptFieldWithTemplate(options: Pick<InputOptions, 'template' | 'promptField'>): void {
  if (options.template === undefined || options.promptField === undefined) return;
  const field = JSON.stringify(options.promptField);
  throw new UsageError(
    `--prompt-field ${field} does not apply with --template, which builds each prompt from the row's fields: leave --prompt-field out (a template puts a field in with {{${options.promptField}}})`,
  );
}

/** Field names that usually hold the prompt, in the order a suggestion prefers them. */
const LIKELY_PROMPT = ['prompt', 'question', 'text', 'input', 'query', 'instruction', 'content', 'message', 'prompt_text', 'body'];

/**
 * The field or column a "no prompt" refusal suggests for --prompt-field, among `names` (those that
 * hold text): a usual name in any case (`Prompt`, `QUESTION`), else the only one, else the first; never
 * the id (`ID` neither). Matched in one case only, `{"ID": "1", "Prompt": "hello"}` suggested `ID`.
 */
export function likelyPromptField(names: readonly string[], idField: string): string | undefined {
  const candidates = names.filter((name) => name.trim() !== '' && name.toLowerCase() !== idField.toLowerCase() && name.toLowerCase() !== 'custom_id');
  for (const usual of LIKELY_PROMPT) {
    const found = candidates.find((name) => name.toLowerCase() === usual);
    if (found !== undefined) return found;
  }
  return candidates[0];
}

/** A field name as a shell takes it in `--prompt-field NAME`: quoted when it holds more than plain characters (`'My Question'`). */
function fieldWord(name: string): string {
  return /^[\w.@%+=:,/-]+$/.test(name) ? name : `'${name.replace(/'/g, "'\\''")}'`;
}

/**
 * `pass --prompt-field NAME or --template '…{{NAME}}…'`: both halves as a shell takes them, `<noun>`
 * and `{{noun}}` when there is no guess (a CSV's "column", a JSON row's "field").
 */
export function promptFieldHint(guess: string | undefined, noun: 'column' | 'field'): string {
  return `pass --prompt-field ${guess === undefined ? `<${noun}>` : fieldWord(guess)} or --template ${fieldWord(`…{{${guess ?? noun}}}…`)}`;
}
