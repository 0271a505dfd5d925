import type { ChatMessage } from '../types.js';

/**
 * Checks a row's `messages` enough to fail here rather than as an HTTP 400 later: a non-empty array of
 * objects with a string `role` and a `content` that is a string or an array (multimodal parts, passed
 * through untouched). An assistant turn may leave its content out or null (one that only calls tools), and a
 * legacy `function` turn may have null content.
 */
export function checkMessages(value: unknown, field: string): { messages: ChatMessage[] } | { error: string } {
  if (!Array.isArray(value)) return { error: `"${field}" must be an array of messages` };
  if (value.length === 0) return { error: `"${field}" is empty` };
  for (const [i, message] of value.entries()) {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return { error: `"${field}[${i}]" must be an object with a "role"` };
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string') return { error: `"${field}[${i}].role" must be a string` };
    if (typeof content === 'string' || Array.isArray(content)) continue;
    if ((content === undefined || content === null) && role === 'assistant') continue;
    // A legacy function-call result (ChatCompletionFunctionMessageParam) may be null too.
    if (content === null && role === 'function') continue;
    if (content === undefined) return { error: `"${field}[${i}].content" is missing` };
    return { error: `"${field}[${i}].content" must be a string or an array of content parts (got ${content === null ? 'null' : typeof content})` };
  }
  // As an empty prompt is: a conversation with nothing in it would be sent and billed for an answer to nothing.
  if (!value.some(saysSomething)) return { error: `every message in "${field}" is empty` };
  return { messages: value as ChatMessage[] };
}

/** A message with text that is not blank, a part that is not blank text (an image…), or a tool call. */
function saysSomething(message: Record<string, unknown>): boolean {
  const { content } = message;
  if (typeof content === 'string') return content.trim() !== '';
  if (Array.isArray(content) && content.some((part) => !isBlankText(part))) return true;
  return (message['tool_calls'] ?? message['function_call'] ?? null) !== null;
}

function isBlankText(part: unknown): boolean {
  if (typeof part === 'string') return part.trim() === '';
  if (typeof part !== 'object' || part === null) return false;
  const { type, text } = part as Record<string, unknown>;
  return type === 'text' && (typeof text !== 'string' || text.trim() === '');
}

/**
 * Whether a conversation starts with its own instructions: a system message, or a `developer` one,
 * as OpenAI's newer models name it (exported logs have them): -s and a row's `system` give way to it.
 */
export const startsWithInstructions = (messages: readonly ChatMessage[]): boolean => messages[0]?.role === 'system' || messages[0]?.role === 'developer';

/** Prepends the run's system message unless the conversation already sets its own. */
export function withSystem(messages: ChatMessage[], system: string | undefined): ChatMessage[] {
  if (system === undefined || startsWithInstructions(messages)) return messages;
  return [{ role: 'system', content: system }, ...messages];
}

/**
 * What a result row shows as the prompt of a conversation: the last user message (falling back to the
 * last message), as text when it is a string and as JSON when it is multimodal parts.
 */
export function displayPrompt(messages: ChatMessage[]): string {
  const shown = messages.findLast((m) => m.role === 'user') ?? messages.at(-1);
  if (shown === undefined || shown.content === undefined || shown.content === null) return '';
  return typeof shown.content === 'string' ? shown.content : JSON.stringify(shown.content);
}
