import { createKeyRedactor, isPlaceholder } from '../redact.js';
import { scrubLogprobs } from './scrub-logprobs.js';
import type { CompletionResult } from './completion.js';

/** What of an answer the server wrote: a live one's result, a collected Batch API line's parts. */
export type AnswerParts = Pick<CompletionResult, 'text' | 'refusal' | 'toolCalls' | 'logprobs' | 'model'>;

/**
 * Gives back an answer without the key; the same object when it held none. `text` scrubs a piece of
 * text alone (a whole answer's one delta, shown before its row).
 */
export type AnswerScrubber = (<T extends AnswerParts>(answer: T) => T) & { text: (text: string) => string };

/**
 * Takes the key out of an answer that holds it (a gateway or an echo server that repeats the request,
 * a model shown it): rows, the response cache and the report never hold it, live or collected from a
 * batch. In every form -v scrubs it in (`%73k-…`, `\u002d`, `&#45;`), from the text, the refusal, the
 * tool calls, the served model's name and the logprobs (see scrubLogprobs). Not a placeholder key
 * (`ollama`, `EMPTY`), which an answer may well say; nor anything else shaped like a key, which
 * answers about keys hold. One scan of an answer for the key's pattern: ~0.7 µs for 1.5 KB, as
 * `includes` is ~0.55; the model's name adds ~0.1 µs.
 */
export function answerScrubber(key: string | undefined): AnswerScrubber | undefined {
  if (!key || key.length < 4 || isPlaceholder(key)) return undefined;
  const clean = createKeyRedactor(key);
  const scrub = <T extends AnswerParts>(answer: T): T => {
    const { text, refusal, toolCalls, logprobs, model } = answer;
    const calls = toolCalls && JSON.stringify(toolCalls);
    const cleaned = {
      text: clean(text),
      refusal: refusal && clean(refusal),
      calls: calls && clean(calls),
      logprobs: logprobs && scrubLogprobs(logprobs, key, clean),
      model: model && clean(model),
    };
    if (cleaned.text === text && cleaned.refusal === refusal && cleaned.calls === calls && cleaned.logprobs === logprobs && cleaned.model === model)
      return answer;
    return {
      ...answer,
      text: cleaned.text,
      model: cleaned.model,
      ...(cleaned.refusal ? { refusal: cleaned.refusal } : {}),
      ...(cleaned.calls ? { toolCalls: JSON.parse(cleaned.calls) } : {}),
      ...(cleaned.logprobs ? { logprobs: cleaned.logprobs } : {}),
    };
  };
  return Object.assign(scrub, { text: clean });
}
