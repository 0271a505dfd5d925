export interface AnswerLengthEstimateOptions {
  /** Answers to see before their lengths replace the starting guess. @default 16 */
  minSamples?: number;
  /** Most recent answers the estimate is taken from. @default 256 */
  keep?: number;
  /** The share of answers the estimate covers. @default 0.95 */
  quantile?: number;
  /** Headroom over that quantile. @default 1.1 */
  margin?: number;
}

/**
 * Answer tokens to charge a token budget for a request sent without max_tokens. A fixed guess (256)
 * held a run against a server's announced TPM at a fraction of its request limit when answers are
 * a few tokens (review R10); the answers' own `completion_tokens` say how long they run. A high
 * quantile, not the mean: the charge is made before the answer, stands (nothing is refunded after
 * it), and the sliding minute must hold.
 *
 * Distrusted for good after a 429 that the token budget may have caused: a server that charges a
 * request without max_tokens more than its answer (its own default) is charged the guess again.
 */
export class AnswerLengthEstimate {
  private readonly minSamples: number;
  private readonly keep: number;
  private readonly quantile: number;
  private readonly margin: number;
  private readonly samples: number[] = [];
  private next = 0;
  private unsorted = 0;
  private learned: number | undefined;
  private distrusted = false;

  constructor(
    /** The starting guess, and the charge again once distrusted. */
    private readonly guess: number,
    options: AnswerLengthEstimateOptions = {},
  ) {
    this.minSamples = Math.max(1, options.minSamples ?? 16);
    this.keep = Math.max(this.minSamples, options.keep ?? 256);
    this.quantile = options.quantile ?? 0.95;
    this.margin = options.margin ?? 1.1;
  }

  /** Tokens to charge for the answer of a request without max_tokens. */
  current(): number {
    return this.learned === undefined || this.distrusted ? this.guess : this.learned;
  }

  /** True while the charge comes from answers seen rather than the guess. */
  get inUse(): boolean {
    return this.learned !== undefined && !this.distrusted;
  }

  /** An answer's `completion_tokens`, for a request sent without max_tokens. */
  observe(completionTokens: number): void {
    if (this.distrusted || !Number.isFinite(completionTokens) || completionTokens < 0) return;
    if (this.samples.length < this.keep) this.samples.push(completionTokens);
    else this.samples[this.next] = completionTokens;
    this.next = (this.next + 1) % this.keep;
    this.unsorted++;
    // Sorted at the first estimate, then every 16 answers: not per request (issue 16).
    if (this.samples.length < this.minSamples) return;
    if (this.learned !== undefined && this.unsorted < 16) return;
    this.unsorted = 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = sorted[Math.min(sorted.length - 1, Math.ceil(this.quantile * sorted.length) - 1)]!;
    this.learned = Math.max(1, Math.ceil(at * this.margin - 1e-9));
  }

  /** Back to the guess for the rest of the run. */
  distrust(): void {
    this.distrusted = true;
  }
}
