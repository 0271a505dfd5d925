import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../types.js';

/**
 * Prompt tokens as OpenAI counts chat input (o200k encoding, 3 tokens of framing per message plus 3
 * for the reply). Loaded only when a token budget is in force: the encoder tables are large.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const m of messages) {
    const content = typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '');
    // Special-token text in a prompt is plain text to count, not a reason to throw.
    total += 3 + encode(content, { disallowedSpecial: new Set() }).length;
  }
  return total;
}
