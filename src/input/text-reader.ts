import { UsageError } from '../errors.js';
import type { PromptRecord } from '../types.js';
import type { InputOptions, InputSource } from './input-options.js';
import { readLines } from './read-lines.js';
import { fallbackId } from './record-id.js';
import { renderTemplate, templateFields } from './template.js';
import { problemRecord, sendableRecord, userMessages } from './to-record.js';

/** The only fields a text line has; `line` is an alias of `prompt` (the line's text), not its number. */
const TEXT_FIELDS = ['prompt', 'line'];

/**
 * Plain text: one prompt per line. Blank lines are skipped but still counted, so `line` always matches
 * the editor. Trailing whitespace is dropped; leading whitespace is kept (it may be meaningful).
 * Text rows have no id column, so every id is the `<line>-<hash>` fallback.
 */
export async function* readTextRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  const { source, template, system } = options;
  if (template !== undefined) {
    // Checked once up front: an unknown field would otherwise fail every single line.
    const unknown = templateFields(template).filter((name) => !TEXT_FIELDS.includes(name));
    if (unknown.length > 0) {
      throw new UsageError(`--template uses ${unknown.map((n) => `{{${n}}}`).join(', ')}, but text input only has {{prompt}} (alias {{line}})`);
    }
  }
  for await (const { line, text } of readLines(input, source)) {
    if (text.trim() === '') continue;
    const origin = { source, line, id: fallbackId(line, text) };
    let prompt = text.trimEnd();
    if (template !== undefined) {
      const rendered = renderTemplate(template, { prompt, line: prompt });
      // Unreachable after the check above, but kept so a template bug cannot send a half-filled prompt.
      if ('missing' in rendered) {
        yield problemRecord(origin, `template field "${rendered.missing}" is missing`, rendered.missing, prompt);
        continue;
      }
      prompt = rendered.text;
      if (prompt.trim() === '') {
        yield problemRecord(origin, 'the template produced an empty prompt');
        continue;
      }
    }
    yield sendableRecord(origin, prompt, userMessages(prompt), {}, system);
  }
}
