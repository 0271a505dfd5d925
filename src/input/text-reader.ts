import { UsageError } from '../errors.js';
import type { PromptRecord } from '../types.js';
import type { InputOptions, InputSource } from './input-options.js';
import { refusePromptFieldWithTemplate } from './prompt-field.js';
import { readLineBatches } from './read-lines.js';
import { fallbackId } from './record-id.js';
import { renderTemplate, templateFields } from './template.js';
import { placeholders, problemRecord, sendableRecord, userMessages } from './to-record.js';

/** The only fields a text line has; `line` is an alias of `prompt` (the line's text), not its number. */
const TEXT_FIELDS = ['prompt', 'line'];

/**
 * Refuses a template, `--keep-fields`, `--prompt-field` or `--id-field` naming a field a text line
 * does not have (the last two would be ignored). Its fields are known without reading it, so
 * callers check before they create anything (the reader checks too).
 */
export function checkTextFields(options: Pick<InputOptions, 'template' | 'system' | 'keepFields' | 'promptField' | 'idField'>): void {
  const { template, system, keepFields, promptField, idField } = options;
  refusePromptFieldWithTemplate(options);
  // Every line would be an error row: a text line has no fields to fill a system message with.
  if (system !== undefined && templateFields(system).length > 0) {
    throw new UsageError(`--system uses ${placeholders(system)}, but text input has no fields to fill it: use CSV or JSONL input, or a --system without {{…}}`);
  }
  if (idField !== undefined) {
    throw new UsageError(
      `--id-field ${JSON.stringify(idField)} does not apply to text input: a line has no id field, its id is <line>-<hash of its text>; for ids, use JSONL or CSV`,
    );
  }
  if (promptField !== undefined && !TEXT_FIELDS.includes(promptField)) {
    throw new UsageError(`--prompt-field ${JSON.stringify(promptField)} does not apply to text input: each line is a prompt, whole; leave --prompt-field out`);
  }
  if (template !== undefined) {
    // Checked once up front: an unknown field would otherwise fail every single line.
    const unknown = templateFields(template).filter((name) => !TEXT_FIELDS.includes(name));
    if (unknown.length > 0) {
      throw new UsageError(`--template uses ${unknown.map((n) => `{{${n}}}`).join(', ')}, but text input only has {{prompt}} (alias {{line}})`);
    }
  }
  const unknown = keepFields === undefined || keepFields === 'all' ? [] : keepFields.filter((name) => !TEXT_FIELDS.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `--keep-fields names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, but text input only has the field "prompt" (alias "line"), the line's text: --keep-fields prompt`,
    );
  }
}

/** The fields a text line keeps with --keep-fields: its text, under each name asked for. */
function keptTextFields(keep: InputOptions['keepFields']): readonly string[] | undefined {
  if (keep === undefined) return undefined;
  return keep === 'all' ? ['prompt'] : keep;
}

/**
 * Plain text: one prompt per line. Blank lines are skipped but still counted, so `line` always matches
 * the editor. Trailing whitespace is dropped; leading whitespace is kept (it may be meaningful).
 * Text rows have no id column, so every id is the `<line>-<hash>` fallback. With --keep-fields a
 * row's `input` holds the line's text (before any template), as a CSV row's holds its cells.
 */
export async function* readTextRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  const { source, template, system } = options;
  checkTextFields(options);
  const kept = keptTextFields(options.keepFields);
  for await (const lines of readLineBatches(input, source)) {
    for (const { line, text } of lines) {
      if (text.trim() === '') continue;
      const record = textRecord(source, line, text, template, system);
      if (kept) record.fields = Object.fromEntries(kept.map((name) => [name, text.trimEnd()]));
      yield record;
    }
  }
}

function textRecord(source: string, line: number, text: string, template: string | undefined, system: string | undefined): PromptRecord {
  const origin = { source, line, id: fallbackId(line, text) };
  let prompt = text.trimEnd();
  if (template !== undefined) {
    const rendered = renderTemplate(template, { prompt, line: prompt });
    // Unreachable after the check above, but kept so a template bug cannot send a half-filled prompt.
    if ('missing' in rendered) return problemRecord(origin, `template field "${rendered.missing}" is missing`, rendered.missing, prompt);
    prompt = rendered.text;
    if (prompt.trim() === '') return problemRecord(origin, 'the template produced an empty prompt');
  }
  return sendableRecord(origin, prompt, userMessages(prompt), {}, system);
}
