import { createRedactor } from '../redact.js';

/**
 * The line for an error no code path expected: its stack, for a bug report, but with the API key
 * taken out, as every other message has it (an error's message may quote a request or a header).
 */
export function internalErrorLine(err: unknown, env: Readonly<Record<string, string | undefined>>): string {
  const key = env['OPENAI_API_KEY'];
  const redact = createRedactor([key?.trim(), key]);
  return `llm-batch: internal error: ${redact(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`;
}
