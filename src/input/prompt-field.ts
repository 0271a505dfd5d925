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
