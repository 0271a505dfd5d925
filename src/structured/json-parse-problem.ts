/**
 * Why an answer is not JSON, in words that follow "answer is not valid JSON: ". V8's message ends
 * with `, "<the text's start>"... is not valid JSON` for a bad first token: the text is in the row's
 * `response` already and the rest would say "not valid JSON" twice, so only the reason is kept.
 */
export function jsonParseProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/, ".*"(\.\.\.)? is not valid JSON$/s, '');
}
