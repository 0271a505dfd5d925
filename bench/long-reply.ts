/**
 * Long answers for the hot-path scenarios: `ECHO <prompt>` followed by `words` words, so a
 * streamed answer is one SSE event per word (the mock's `maxPieces: Infinity`), as the API sends
 * about one per token. The bench checks every row against the same function.
 */
const VOCAB = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog', 'while', 'seven', 'times', 'nine', 'is', 'sixty-three'];

export function longReply(words: number): (prompt: string) => string {
  let tail = '';
  for (let i = 0; i < words; i++) tail += ` ${VOCAB[i % VOCAB.length]}`;
  return (prompt) => `ECHO ${prompt}${tail}`;
}

/** Events in one streamed answer: role, one per word of the reply, finish, usage, [DONE]. */
export function eventsPerAnswer(reply: string): number {
  return (reply.match(/\s*\S+|\s+$/g) ?? []).length + 4;
}
