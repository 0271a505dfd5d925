import { createKeyRedactor, isPlaceholder } from '../redact.js';
import { scrubLogprobs } from './scrub-logprobs.js';
import { keyStartAtEnd } from './key-spans.js';
import type { CompletionResult } from './completion.js';

/** What of an answer the server wrote: a live one's result, a collected Batch API line's parts. */
export type AnswerParts = Pick<CompletionResult, 'text' | 'refusal' | 'toolCalls' | 'logprobs' | 'model' | 'reasoning'> & { finishReason?: string | null };

/**
 * Gives back an answer without the key; the same object when it held none. `text` scrubs a piece of
 * text alone (a whole answer's one delta, shown before its row); `deltas` a stream's (see keyHoldingDeltas).
 */
export type AnswerScrubber = (<T extends AnswerParts>(answer: T) => T) & {
  text: (text: string) => string;
  deltas: (onDelta: (text: string) => void) => HeldDeltas;
};

/** A stream's deltas, scrubbed: `onDelta` takes each as it comes; `end` hands on what is still held. */
export interface HeldDeltas {
  onDelta: (text: string) => void;
  end: () => void;
}

/**
 * A streamed answer's deltas as the terminal shows them: text that may be the start of the key is
 * held until a later delta says. The key whole, it is `[redacted]`; gone another way, it goes on as
 * it came. A key a server streams over several events (`sk-`, `LEA`, `KCH`…) was shown in pieces.
 * Per delta, with no key in sight: one `indexOf` of its first character near the end, one scan.
 */
function keyHoldingDeltas(key: string, clean: (text: string) => string, onDelta: (text: string) => void): HeldDeltas {
  let held = '';
  return {
    onDelta(text) {
      const all = held + text;
      const cut = all.length - keyStartAtEnd(all, key);
      held = all.slice(cut);
      if (cut > 0) onDelta(clean(all.slice(0, cut)));
    },
    end() {
      if (held !== '') onDelta(clean(held));
      held = '';
    },
  };
}

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
    const { text, refusal, toolCalls, logprobs, model, finishReason, reasoning } = answer;
    const calls = toolCalls && JSON.stringify(toolCalls);
    const cleaned = {
      text: clean(text),
      refusal: refusal && clean(refusal),
      reasoning: reasoning && clean(reasoning),
      calls: calls && clean(calls),
      logprobs: logprobs && scrubLogprobs(logprobs, key, clean),
      model: model && clean(model),
      // A server's own word (vLLM's `abort`, an echo server's anything): a row field like the rest.
      finishReason: finishReason && clean(finishReason),
    };
    if (
      cleaned.text === text &&
      cleaned.refusal === refusal &&
      cleaned.reasoning === reasoning &&
      cleaned.calls === calls &&
      cleaned.logprobs === logprobs &&
      cleaned.model === model &&
      cleaned.finishReason === finishReason
    )
      return answer;
    return {
      ...answer,
      text: cleaned.text,
      model: cleaned.model,
      ...(finishReason !== undefined ? { finishReason: cleaned.finishReason } : {}),
      ...(cleaned.refusal ? { refusal: cleaned.refusal } : {}),
      ...(cleaned.reasoning ? { reasoning: cleaned.reasoning } : {}),
      ...(cleaned.calls ? { toolCalls: JSON.parse(cleaned.calls) } : {}),
      ...(cleaned.logprobs ? { logprobs: cleaned.logprobs } : {}),
    };
  };
  return Object.assign(scrub, { text: clean, deltas: (onDelta: (text: string) => void) => keyHoldingDeltas(key, clean, onDelta) });
}
