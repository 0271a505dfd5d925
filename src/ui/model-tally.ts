import { answerPrice } from '../budget/answer-price.js';
import { billedUsd, createPriceLookup, type PriceLookup } from '../budget/prices.js';
import { usdFigure } from '../budget/spend-cap.js';
import type { ResultRow } from '../types.js';
import { count, usd } from './number-format.js';

/** One model's share of a run with several models (`-m A -m B`). */
export interface ModelFigures {
  model: string;
  ok: number;
  failed: number;
  fromCache: number;
  promptTokens: number;
  completionTokens: number;
  /** Of `promptTokens`, those the provider served from its prompt cache (billed lower). */
  cachedPromptTokens: number;
  /** Paid tokens (cached answers excluded) at the run's prices (--price/--prices, else the table); null when the model has no price. */
  estimatedUsd: number | null;
}

/** Counts rows per model asked for, so a model comparison reads off the summary. */
export class ModelTally {
  /** `usd`: the paid rows' cost summed row by row, each at its own served model's price (null while none was priced). */
  private readonly byModel = new Map<string, Omit<ModelFigures, 'estimatedUsd'> & { usd: number | null }>();

  /** `models`: the run's models, in the order the summary lists them (rows arrive in any order). */
  constructor(
    private readonly runModel: string,
    private readonly models: readonly string[] = [runModel],
    /** 0.5 for a Batch API run, billed at half the list price. */
    private readonly priceFactor = 1,
    /** The summary's and the budget's prices: --price/--prices over the table. */
    private readonly prices: PriceLookup = createPriceLookup({}),
  ) {}

  /**
   * The model a row was asked of. A line the input refused (bad JSON, a bad field) was asked of none:
   * counted under the first model, its 4 bad lines read "gpt-4o-mini: 1 ok, 4 failed". The run's own
   * line counts them (`input 4`).
   */
  private modelOf(row: ResultRow): string | undefined {
    if (row.requested_model) return row.requested_model;
    return row.error?.type === 'input' ? undefined : this.runModel;
  }

  add(row: ResultRow): void {
    const model = this.modelOf(row);
    if (model === undefined) return;
    let f = this.byModel.get(model);
    if (!f) {
      f = { model, ok: 0, failed: 0, fromCache: 0, promptTokens: 0, completionTokens: 0, cachedPromptTokens: 0, usd: null };
      this.byModel.set(model, f);
    }
    if (row.error) f.failed++;
    else f.ok++;
    if (row.cached) f.fromCache++;
    else if (row.usage) {
      f.promptTokens += row.usage.prompt_tokens;
      f.completionTokens += row.usage.completion_tokens;
      f.cachedPromptTokens += row.usage.cached_tokens ?? 0;
      // Row by row, as the summary's estimate: an alias may answer under several served models, priced apart.
      // Priced by the model asked for when --price/--prices name it, as the budget spends.
      const priced = answerPrice(this.prices, model, row.model);
      if (priced) f.usd = (f.usd ?? 0) + billedUsd(priced.price, row.usage);
    }
  }

  /**
   * Takes a row that could not be written (a full disk) back out of its model's counts, as
   * uncountRow does out of the run's: its tokens stay, they were paid for.
   */
  uncount(row: ResultRow): void {
    const model = this.modelOf(row);
    const f = model === undefined ? undefined : this.byModel.get(model);
    if (!f) return;
    if (row.error) f.failed--;
    else f.ok--;
    if (row.cached) f.fromCache--;
  }

  figures(): ModelFigures[] {
    const rank = (m: string) => {
      const i = this.models.indexOf(m);
      return i < 0 ? this.models.length : i;
    };
    const ordered = [...this.byModel.values()].sort((a, b) => rank(a.model) - rank(b.model) || a.model.localeCompare(b.model));
    return ordered.map(({ usd, ...f }) => {
      // No paid row priced (all from the cache, or none with usage): $0 at a known price, else unknown.
      const cost = usd ?? (answerPrice(this.prices, f.model, null) ? 0 : undefined);
      return { ...f, estimatedUsd: cost === undefined ? null : usdFigure(cost * this.priceFactor) };
    });
  }

  /** `gpt-4o-mini: 98 ok (40 from cache), 2 failed · 12,345 tokens in / 6,789 out · est. $0.0123` per model. */
  lines(): string[] {
    return this.figures().map(
      (f) =>
        `${f.model}: ${count(f.ok)} ok${f.fromCache ? ` (${count(f.fromCache)} from cache)` : ''}, ${count(f.failed)} failed · ` +
        // All from the cache: no tokens bought, no cost.
        (f.fromCache > 0 && f.fromCache === f.ok + f.failed
          ? 'nothing sent'
          : `${count(f.promptTokens)} tokens in / ${count(f.completionTokens)} out` + (f.estimatedUsd === null ? '' : ` · est. ${usd(f.estimatedUsd)}`)),
    );
  }
}
