import type { CompletionRequest } from '../provider/completion.js';

/**
 * Why a request is not sent: it needs more tokens than a minute allows. `named`: the record names
 * its model (several models, --repeat, a row's own `model`): the line says which, as the records of
 * one input line to several models are otherwise told apart by nothing. `sentBefore`: an earlier
 * attempt went out (a 429 "Request too large" that announced the limit), so it is not "never sent".
 */
export function tooLargeForTpm(
  tokens: number,
  request: Pick<CompletionRequest, 'model' | 'max_tokens'>,
  limit: { perMinute: number; source: 'tpm' | 'server' },
  how: { named: boolean; sentBefore: boolean },
): string {
  const maxTokens = request.max_tokens;
  const what = maxTokens === undefined ? 'its prompt needs' : `its prompt and max_tokens ${maxTokens} need`;
  const cap =
    limit.source === 'tpm'
      ? `--tpm ${limit.perMinute} allows: raise --tpm or shorten the prompt`
      : `the server's limit of ${limit.perMinute} tokens a minute allows: it would be refused as too large`;
  return `${how.sentBefore ? 'not sent again' : 'never sent'}${how.named ? ` to ${request.model}` : ''}: ${what} about ${tokens} tokens, more than ${cap}`;
}
