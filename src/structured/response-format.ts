import type { JsonSchema } from './strictify.js';

/**
 * OpenAI's rule for json_schema.name: letters, digits, _ and -, at most 64. The schema's title as it
 * is ("Invoice v1.2" is `Invoice_v1_2`), else the file's name without its extension.
 */
export function schemaName(source: string | undefined, schema: JsonSchema): string {
  const base = typeof schema.title === 'string' ? schema.title : (source ?? 'output').replace(/\.[^.]*$/, '');
  const name = base
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return name || 'output';
}

export function jsonSchemaFormat(name: string, schema: JsonSchema): Record<string, unknown> {
  return { type: 'json_schema', json_schema: { name, schema, strict: true } };
}

export const JSON_OBJECT_FORMAT: Readonly<Record<string, unknown>> = Object.freeze({ type: 'json_object' });

/**
 * Whether a failed attempt is the server refusing `response_format` (an older model, or an
 * OpenAI-compatible server without structured outputs): every other request would fail the same
 * way, so the run stops on the first one.
 */
export function rejectsResponseFormat(status: number | undefined, message: string): boolean {
  if (status !== 400 && status !== 422 && status !== 501) return false;
  return /response_format|json_schema|json_object|structured output|guided_json|grammar/i.test(message);
}
