import { worstCasePico, type PriceLookup } from '../budget/prices.js';
import { BUDGET_DEFAULT_MAX_TOKENS, unpricedMessage } from '../budget/run-budget.js';
import { SpendCap, toPico, type Picodollars } from '../budget/spend-cap.js';
import { predictionTokenBound, requestTokenBound } from '../budget/worst-case.js';
import type { ChatMessage } from '../types.js';

export interface BatchBudgetOptions {
  capUsd: number;
  prices: PriceLookup;
}

/**
 * `--max-cost` for Batch API lines, the live budget's rules at the Batch price: a line is planned
 * only if its worst case fits beside what this output's batches already spent and every line planned
 * before it. A batch runs where no one can stop it, so admission happens once, when the chunk files
 * are written; the first line that does not fit holds back itself and every line after it (the input
 * order). Batches cost less than their worst case: once they are collected, planning goes on from
 * that line with what is left, and stops for good only when it does not fit with nothing reserved.
 */
export class LineBudget {
  private readonly cap: SpendCap;
  private full = false;

  constructor(
    private readonly options: BatchBudgetOptions,
    spentBefore: Picodollars,
  ) {
    this.cap = new SpendCap(toPico(options.capUsd));
    if (spentBefore > 0 && !this.cap.tryReserve(spentBefore)) this.full = true;
  }

  /** Why a line cannot be admitted at any cap (its model has no price), as live: the line gets an `input` row. */
  unpriced(body: Readonly<Record<string, unknown>>): string | undefined {
    const model = String(body['model']);
    return this.options.prices(model) ? undefined : unpricedMessage(model);
  }

  /** Reserves a line's worst case; undefined when it does not fit (nor will any line after it). */
  admit(body: Readonly<Record<string, unknown>>): Picodollars | undefined {
    if (this.full) return undefined;
    const amount = lineWorstCase(this.options.prices, body);
    if (amount !== undefined && this.cap.tryReserve(amount)) return amount;
    this.full = true;
    return undefined;
  }
}

/** A line's worst case at the Batch price (its prompt, answer limit and prediction); undefined when its model has no price. */
export function lineWorstCase(prices: PriceLookup, body: Readonly<Record<string, unknown>>): Picodollars | undefined {
  const price = prices(String(body['model']));
  if (!price) return undefined;
  const cap = body['max_completion_tokens'] ?? body['max_tokens'];
  const maxTokens = typeof cap === 'number' ? cap : BUDGET_DEFAULT_MAX_TOKENS;
  const messages = (body['messages'] ?? []) as ChatMessage[];
  // A prediction's unused tokens are billed as answer tokens besides the answer (as live): all of it may go unused.
  const answer = maxTokens + predictionTokenBound(body['prediction']);
  return worstCasePico(
    price,
    requestTokenBound({ model: String(body['model']), messages, response_format: body['response_format'], tools: body['tools'], functions: body['functions'] }),
    answer,
    true,
  );
}
