import { PRICES_AS_OF, estimateCost } from '../pricing.js';
import type { Usage } from '../types.js';
import type { ReportRow } from './report-row.js';
import type { Figures } from './report-data.js';

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The run's figures from its rows: counts, tokens, cost at list prices, wall time, throughput. */
export function buildFigures(rows: readonly ReportRow[], superseded: number): Figures {
  const failedByType: Record<string, number> = {};
  const usageByModel = new Map<string, Usage>();
  const models = new Set<string>();
  const samples = new Set<number>();
  let ok = 0,
    cached = 0,
    attempts = 0,
    retries = 0,
    rateLimitedRows = 0;
  let promptTokens = 0,
    completionTokens = 0,
    rowsWithoutUsage = 0;
  let first = Infinity,
    last = -Infinity;
  for (const r of rows) {
    if (r.errorType === null) ok++;
    else failedByType[r.errorType] = (failedByType[r.errorType] ?? 0) + 1;
    if (r.errorType === 'rate_limit' || r.errorStatus === 429) rateLimitedRows++;
    if (r.cached) cached++;
    attempts += r.attempts;
    retries += Math.max(0, r.attempts - 1);
    if (r.model !== null) models.add(r.model);
    if (r.sample !== null) samples.add(r.sample);
    if (r.promptTokens !== null || r.completionTokens !== null) {
      const p = r.promptTokens ?? 0,
        c = r.completionTokens ?? 0;
      promptTokens += p;
      completionTokens += c;
      // A cached answer cost nothing this time.
      if (r.model !== null && !r.cached) {
        const u = usageByModel.get(r.model) ?? { prompt_tokens: 0, completion_tokens: 0 };
        u.prompt_tokens += p;
        u.completion_tokens += c;
        usageByModel.set(r.model, u);
      }
    } else if (r.errorType === null) rowsWithoutUsage++;
    if (r.startedMs !== null && r.startedMs < first) first = r.startedMs;
    if (r.finishedMs !== null && r.finishedMs > last) last = r.finishedMs;
  }
  const cost = costAtListPrices(usageByModel);
  const hasTimestamps = Number.isFinite(first) && Number.isFinite(last) && last >= first;
  const wallSeconds = hasTimestamps ? round((last - first) / 1000, 3) : null;
  const per = (n: number) => (wallSeconds ? round(n / wallSeconds, 2) : null);
  return {
    rows: rows.length,
    superseded,
    ok,
    failed: rows.length - ok,
    failedByType,
    cached,
    attempts,
    retries,
    rateLimitedRows,
    promptTokens,
    completionTokens,
    rowsWithoutUsage,
    cost,
    startedAt: hasTimestamps ? new Date(first).toISOString() : null,
    finishedAt: hasTimestamps ? new Date(last).toISOString() : null,
    wallSeconds,
    rowsPerSecond: per(rows.length),
    tokensPerSecond: per(promptTokens + completionTokens),
    models: [...models].sort(),
    samples: [...samples].sort((a, b) => a - b),
    hasTimestamps,
  };
}

/** Tokens per model times list prices (src/pricing.ts); null when no model has a known price. */
function costAtListPrices(usageByModel: ReadonlyMap<string, Usage>): Figures['cost'] {
  let usd = 0;
  let unpricedTokens = 0;
  let priced = false;
  const byModel = [...usageByModel].map(([model, u]) => {
    const cost = estimateCost(model, u.prompt_tokens, u.completion_tokens);
    if (cost === undefined) unpricedTokens += u.prompt_tokens + u.completion_tokens;
    else {
      priced = true;
      usd += cost;
    }
    return { model, usd: cost === undefined ? null : round(cost, 6) };
  });
  return priced ? { usd: round(usd, 6), pricesAsOf: PRICES_AS_OF, byModel, unpricedTokens } : null;
}
