import type { ChatMessage } from '../types.js';
import type { JsonSchema } from './strictify.js';
import type { StructuredRequest } from './types.js';

/** Marks the schema in the system message, so a server (or our mock) can find it. */
export const SCHEMA_FENCE = '```json';

/**
 * The system message for --schema-in-prompt: the schema itself, for servers that refuse
 * response_format. Answers are still validated and re-asked client-side. Not strict, the schema's
 * root may be an array or anything else: an object is asked for only when the root is one.
 */
export function schemaInstructions(schema: JsonSchema): string {
  const what = schema.type === 'object' ? 'a single JSON object' : 'a single JSON value';
  return (
    `Answer with ${what} that is valid against this JSON Schema. ` +
    'Output only the JSON: no prose, no code fence.\n' +
    `${SCHEMA_FENCE}\n${JSON.stringify(schema)}\n\`\`\``
  );
}

/** OpenAI's JSON mode refuses a conversation that never says "json"; we say it here, not in the user's prompt. */
export const JSON_INSTRUCTIONS = 'Answer with a single valid JSON object, and nothing else.';

/**
 * The system message for --json --schema-in-prompt: JSON mode asked for in words, for servers that
 * refuse response_format. Always sent (no response_format says it instead); answers are still
 * checked as JSON objects and re-asked client-side.
 */
export const JSON_IN_PROMPT_INSTRUCTIONS = 'Answer with a single valid JSON object. Output only the JSON: no prose, no code fence.';

/**
 * The messages with our instructions (--schema-in-prompt's schema, --json's request) in front. A
 * conversation that already starts with a system (or developer) message gets them at the start of
 * that one, a blank line before its text: many chat templates (Mistral's roles must alternate,
 * Gemma has no system role) refuse a second system message. Otherwise they are a system message of
 * their own. The user's prompt is never edited.
 */
export function withInstructions(messages: ChatMessage[], structured: StructuredRequest | undefined): ChatMessage[] {
  const ours = structured?.instructions ?? (structured?.jsonHint && !mentionsJson(messages) ? JSON_INSTRUCTIONS : undefined);
  if (ours === undefined) return messages;
  const [first, ...rest] = messages;
  if (first === undefined || (first.role !== 'system' && first.role !== 'developer')) return [{ role: 'system', content: ours }, ...messages];
  if (typeof first.content === 'string') return [{ ...first, content: `${ours}\n\n${first.content}` }, ...rest];
  if (Array.isArray(first.content)) return [{ ...first, content: [{ type: 'text', text: ours }, ...first.content] }, ...rest];
  return [{ role: 'system', content: ours }, ...messages];
}

/** The text a system message starts with: its content, or its first part's (used by mocks). */
function leadingText(message: { content?: unknown } | undefined): string | undefined {
  const content = message?.content;
  if (typeof content === 'string') return content;
  const part = Array.isArray(content) ? (content[0] as { text?: unknown } | undefined) : undefined;
  return typeof part?.text === 'string' ? part.text : undefined;
}

/** Whether the messages start with {@link JSON_IN_PROMPT_INSTRUCTIONS} (used by mocks, as a json_object response_format). */
export function asksJsonInPrompt(messages: readonly { role?: unknown; content?: unknown }[]): boolean {
  const first = messages[0];
  return (first?.role === 'system' || first?.role === 'developer') && leadingText(first)?.startsWith(JSON_IN_PROMPT_INSTRUCTIONS) === true;
}

/** Whether any message already mentions JSON (then --json adds no system message). */
export function mentionsJson(messages: readonly { content: unknown }[]): boolean {
  return messages.some((m) => /json/i.test(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')));
}

/** The schema from a system message written by {@link schemaInstructions}, if there is one (used by mocks). */
export function schemaFromInstructions(messages: readonly { role?: unknown; content?: unknown }[]): JsonSchema | undefined {
  for (const m of messages) {
    const text = m.role === 'system' || m.role === 'developer' ? leadingText(m) : undefined;
    if (text === undefined) continue;
    const start = text.indexOf(`${SCHEMA_FENCE}\n`);
    if (start < 0) continue;
    const end = text.indexOf('\n```', start + SCHEMA_FENCE.length + 1);
    try {
      return JSON.parse(text.slice(start + SCHEMA_FENCE.length + 1, end < 0 ? undefined : end)) as JsonSchema;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
