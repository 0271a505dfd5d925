import type { ChatMessage } from '../types.js';
import type { InvalidKind } from './check-types.js';

/**
 * What the re-ask's user turn says was wrong, and what it asks for, by what the check found: only
 * a schema's check finds `schema`, and only --json's finds `object` (a schema may want an array), so
 * a run without a schema never hears of one and one with a schema is not told to send an object.
 */
const WORDS: Record<InvalidKind, { said: string; asked: string }> = {
  json: { said: 'Your answer was not valid JSON:', asked: 'Answer again with only the corrected JSON, nothing else.' },
  deep: { said: 'Your answer nested arrays and objects too deeply:', asked: 'Answer again with only the corrected JSON, nothing else.' },
  object: { said: 'Your answer was not a JSON object:', asked: 'Answer again with only a JSON object, nothing else.' },
  schema: { said: 'Your answer did not match the required JSON schema:', asked: 'Answer again with only the corrected JSON, nothing else.' },
};

/**
 * The conversation for a re-ask: the request as sent, the invalid answer as the assistant's turn,
 * and a user turn listing what was wrong. The model sees its own mistake and the validator's words,
 * which fixes most answers in one more attempt. Live runs and --finish-live both ask with these.
 */
export function reaskMessages(sent: readonly ChatMessage[], answer: string, kind: InvalidKind, problems: readonly string[]): ChatMessage[] {
  const { said, asked } = WORDS[kind];
  const list = problems.map((p) => `- ${p}`).join('\n');
  return [...sent, { role: 'assistant', content: answer }, { role: 'user', content: `${said}\n${list}\n${asked}` }];
}
