import type { ChatMessage } from '../types.js';

/**
 * The conversation for a re-ask: the request as sent, the invalid answer as the assistant's turn,
 * and a user turn listing what was wrong. The model sees its own mistake and the validator's words,
 * which fixes most answers in one more attempt.
 */
export function reaskMessages(sent: readonly ChatMessage[], answer: string, problems: readonly string[]): ChatMessage[] {
  const list = problems.map((p) => `- ${p}`).join('\n');
  return [
    ...sent,
    { role: 'assistant', content: answer },
    {
      role: 'user',
      content: `Your answer did not match the required JSON schema:\n${list}\nAnswer again with only the corrected JSON object, nothing else.`,
    },
  ];
}
