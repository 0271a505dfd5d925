import { answerPrice } from './answer-price.js';
import { UsageError } from '../errors.js';
import type { ChatMessage, Usage } from '../types.js';
import { billedPico, worstCasePico, type PriceLookup, type TokenPrice } from './prices.js';
import { SpendCap, toPico, toUsd, type Reservation } from './spend-cap.js';
import { predictionTokenBound, promptParts, requestTokenBound, UNBOUNDED_MEDIA_PART, mediaTally } from './worst-case.js';

/**
 * Answer tokens assumed (and sent as max_tokens) for a request that sets none while --max-cost is
 * in force: without a cap on the answer there is no worst case to reserve.
 */
export const BUDGET_DEFAULT_MAX_TOKENS = 4096;

/** Why a request of a model with no price is not sent under --max-cost (its row's error, live and Batch API). */
export const unpricedMessage = (model: string): string => `no price known for model ${model}: --max-cost needs one (--price IN/OUT or --prices FILE)`;

export type Admission =
  | { kind: 'admitted'; ticket: Reservation; price: { model: string } }
  | { kind: 'full'; message: string }
  | { kind: 'unpriced'; message: string }
  | { kind: 'stopped' };

/** What a budget needs of a request (a CompletionRequest has it). */
export interface BudgetRequest {
  model: string;
  messages: readonly ChatMessage[];
  max_tokens?: number;
  /** Billed as prompt: a structured run's schema. */
  response_format?: unknown;
  /**
   * A row's or `--param`'s own fields: its `tools` and `response_format` are billed as prompt too,
   * a `prediction`'s unused tokens as answer tokens.
   */
  extraBody?: Readonly<Record<string, unknown>>;
}

/** How an attempt ended: its usage, or a failure with or without an HTTP status. */
/**
 * An attempt's outcome, as billed: its answer's usage and the model the server named (an alias's
 * dated snapshot, an Azure deployment's model); else whether it could have been billed at all.
 */
export type AttemptCost = { usage: Usage | null; model?: string | null } | { failedWithStatus: boolean; neverSent?: boolean };

/** What the engine sees of `--max-cost`: admit before sending, settle after. */
export interface RunBudget {
  admit(request: BudgetRequest, signal: AbortSignal): Promise<Admission>;
  /** Usage when the answer came back; whether an HTTP status came back, or nothing was sent, when it did not. */
  settle(ticket: Reservation, request: BudgetRequest, outcome: AttemptCost): void;
  /** Spent so far (settled), USD: what the answers' usage cost, above their reservations too. */
  spentUsd(): number;
  readonly capUsd: number;
  /** Answers whose usage cost more than was reserved for them, and the excess summed (USD). */
  overrun(): { answers: number; usd: number };
  /** Spent more than the cap (usage exceeded its reservations): nothing more is admitted. */
  passed(): boolean;
  /**
   * Attempts charged at their worst case because no usage said what they cost: answers without
   * usage, and attempts cut off (a reset stream, a timeout) that may have been billed; their sum (USD).
   */
  worstCharged?(): { noUsage: number; cut: number; usd: number };
  /**
   * Where the budget says, once per model, that it cannot bound a request's media parts (set by the
   * CLI once its display exists); unset, it says nothing.
   */
  say?: (line: string) => void;
  /** The request that did not fit with nothing in flight (the run stopped on it): its worst case and answer limit. */
  readonly refused?: RefusedRequest;
}

/** What the budget message needs to say why a request did not fit. */
export interface RefusedRequest {
  model: string;
  worstUsd: number;
  /** The answer tokens its worst case assumed (`max_tokens`, BUDGET_DEFAULT_MAX_TOKENS when none was set). */
  maxTokens: number;
  /** Predicted Outputs: the prediction's tokens it assumed billed as answer tokens besides (bounded by bytes); absent without one. */
  predictionTokens?: number;
  /** What its prompt alone is reserved at (bounded by its UTF-8 bytes): above the cap, no --max-tokens helps. */
  promptUsd?: number;
}

export interface RunBudgetOptions {
  capUsd: number;
  prices: PriceLookup;
  /** Batch API pricing (half the list price). */
  batch?: boolean;
  defaultMaxTokens?: number;
}

/**
 * A library caller's options, checked when the budget is made: a `prices` that is no function (a
 * plain `{ model: price }` object, or left out) would otherwise fail inside runBatch at the first
 * request ("options.prices is not a function"), and a cap of 0, below or NaN admits nothing, or anything.
 */
function checkOptions(options: RunBudgetOptions): void {
  if (typeof options !== 'object' || options === null) throw new UsageError('createRunBudget: options must be an object ({ capUsd, prices })');
  const { capUsd, prices } = options as { capUsd: unknown; prices: unknown };
  if (typeof capUsd !== 'number' || !Number.isFinite(capUsd) || capUsd <= 0)
    throw new UsageError(`createRunBudget: capUsd must be a number of USD greater than 0, got ${typeof capUsd === 'number' ? capUsd : typeof capUsd}`);
  if (typeof prices !== 'function')
    throw new UsageError(
      `createRunBudget: prices must be a function from a model name to its price, got ${prices === null ? 'null' : typeof prices}: use createPriceLookup({}) for the built-in table, createPriceLookup({ file: new Map([[model, { input, output }]]) }) for your own`,
    );
}

export function createRunBudget(options: RunBudgetOptions): RunBudget {
  checkOptions(options);
  const cap = new SpendCap(toPico(options.capUsd));
  const maxAnswer = (request: BudgetRequest) => request.max_tokens ?? options.defaultMaxTokens ?? BUDGET_DEFAULT_MAX_TOKENS;
  let refused: RefusedRequest | undefined;
  const unboundedSaid = new Set<string>();
  const worst = { noUsage: 0, cut: 0, pico: 0 };
  /** The name each model's answers came back under, when another (an alias's dated snapshot). */
  const answeredAs = new Map<string, string>();
  /** What a request's answer will be priced at, as settle prices it once its model's answers named another. */
  const reservedPrice = (model: string, listed: TokenPrice): TokenPrice => {
    const reported = answeredAs.get(model);
    return (reported === undefined ? undefined : answerPrice(options.prices, model, reported)?.price) ?? listed;
  };
  const budget: RunBudget = {
    capUsd: options.capUsd,
    get refused() {
      return refused;
    },
    spentUsd: () => toUsd(cap.spent),
    overrun: () => ({ answers: cap.overruns, usd: toUsd(cap.overrun) }),
    passed: () => cap.passed,
    worstCharged: () => ({ noUsage: worst.noUsage, cut: worst.cut, usd: toUsd(worst.pico) }),
    async admit(request, signal) {
      const price = options.prices(request.model);
      if (!price) return { kind: 'unpriced', message: unpricedMessage(request.model) };
      // A prediction's unused tokens are billed as answer tokens on top of the answer (OpenAI's
      // rejected_prediction_tokens): all of it may go unused.
      const predicted = predictionTokenBound(request.extraBody?.['prediction']);
      const tally = mediaTally();
      const reserved = reservedPrice(request.model, price);
      const promptTokens = requestTokenBound(promptParts(request), tally);
      const amount = worstCasePico(reserved, promptTokens, maxAnswer(request) + predicted, options.batch);
      if (tally.unbounded > 0 && !unboundedSaid.has(request.model)) {
        unboundedSaid.add(request.model);
        budget.say?.(unboundedMediaLine(request.model, tally.kind ?? 'non-text'));
      }
      for (;;) {
        if (signal.aborted) return { kind: 'stopped' };
        // Answers cost more than was reserved and took the spend past the cap: no prompt fits any more,
        // and waiting for those in flight changes nothing.
        if (cap.passed) return { kind: 'full', message: 'budget reached' };
        const ticket = cap.tryReserve(amount);
        if (ticket) return { kind: 'admitted', ticket, price: { model: request.model } };
        // Requests in flight usually cost less than reserved: wait for them before giving up.
        if (cap.reserved === 0) {
          refused = {
            model: request.model,
            worstUsd: toUsd(amount),
            maxTokens: maxAnswer(request),
            ...(predicted > 0 ? { predictionTokens: predicted } : {}),
            promptUsd: toUsd(worstCasePico(reserved, promptTokens, 0, options.batch)),
          };
          return { kind: 'full', message: 'budget reached' };
        }
        await new Promise<void>((resolve) => {
          const onAbort = () => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
          void cap.nextSettlement().then(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      }
    },
    settle(ticket, request, outcome) {
      if ('usage' in outcome) {
        // As the summary and the report price it, so the cap holds at the prices they show; and the
        // next requests to this model are reserved at that price.
        if (outcome.model && outcome.model !== request.model) answeredAs.set(request.model, outcome.model);
        const price = answerPrice(options.prices, request.model, outcome.model)?.price;
        // No usage reported: the worst case stays spent (we cannot know less).
        if (!(outcome.usage && price)) {
          worst.noUsage++;
          worst.pico += ticket.amount;
        }
        cap.settle(ticket, outcome.usage && price ? billedPico(price, outcome.usage, options.batch) : ticket.amount);
        return;
      }
      // An HTTP error status came before any answer, or the request never left (a refused
      // connection, DNS, a certificate): nothing generated, nothing billed. A cut stream, a timeout
      // or a reset may have been billed for what was generated: assume all of it.
      const billed = !(outcome.failedWithStatus || outcome.neverSent);
      if (billed) {
        worst.cut++;
        worst.pico += ticket.amount;
      }
      cap.settle(ticket, billed ? ticket.amount : 0);
    },
  };
  return budget;
}

/** Said once per model whose requests carry media parts nothing bounds: the reservation is a guess. */
export function unboundedMediaLine(model: string, kind: string): string {
  const what = kind === 'image_url' ? `the tokens of an image sent to ${model}` : `the tokens of a "${kind}" part sent to ${model}`;
  return (
    `--max-cost cannot bound ${what} (${kind === 'image_url' ? 'no known vision pricing for that model' : 'nothing in the request bounds it'}): ` +
    `each such part is reserved at ${UNBOUNDED_MEDIA_PART.toLocaleString('en-US')} prompt tokens, and usage above a reservation is still charged, so answers in flight may take the spend past the cap`
  );
}
