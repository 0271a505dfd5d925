/** 403s (different prompts, or one prompt's attempts), with no answer yet, that stop the run as a rejected key. */
export const FORBIDDEN_LIMIT = 3;

/**
 * What a 403 means for its prompt: `row`, that prompt's own failure; `again`, not known yet: ask it
 * again later, with no row meanwhile (a stop would leave it for --resume); `stop`, the key's: the
 * run stops.
 */
export type ForbiddenVerdict = 'row' | 'again' | 'stop';

/**
 * Whether a 403 is the key's or one prompt's. Most servers refuse a key with a 401, but some with a
 * 403, and a 403 also refuses one input (OpenRouter's moderation) or one model. Once an answer has
 * succeeded the key works: a 403 is its prompt's failed row. Before that the run stops as a
 * rejected key when no other request is in flight (none can still answer) and 403s came for
 * FORBIDDEN_LIMIT different prompts, or FORBIDDEN_LIMIT times for this one; until then the prompt is
 * asked again. So a wrong key leaves no row behind (a resume sends every prompt), and a flagged
 * first prompt waits for the others' answers instead of stopping the run.
 */
export class ForbiddenGate {
  private answered = false;
  /** Before the first answer: the prompts that got a 403, and how many each. */
  private readonly prompts = new Map<object, number>();

  onSuccess(): void {
    this.answered = true;
    this.prompts.clear();
  }

  /** `prompt` is the prompt asked (its retries are the same object); `alone`, no other request is in flight. */
  onForbidden(prompt: object, alone: boolean): ForbiddenVerdict {
    if (this.answered) return 'row';
    const times = (this.prompts.get(prompt) ?? 0) + 1;
    this.prompts.set(prompt, times);
    if (alone && (this.prompts.size >= FORBIDDEN_LIMIT || times >= FORBIDDEN_LIMIT)) return 'stop';
    return 'again';
  }
}
