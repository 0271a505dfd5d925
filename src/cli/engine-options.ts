import type { BatchOptions } from '../engine/batch-options.js';
import type { BatchEvent } from '../engine/events.js';
import type { BatchStats } from '../engine/stats.js';
import type { Complete } from '../provider/completion.js';
import type { StructuredOutput } from '../structured/types.js';
import type { CliConfig } from './config.js';
import type { AnswerCache } from '../engine/answer-cache.js';
import { BUDGET_DEFAULT_MAX_TOKENS, type RunBudget } from '../budget/run-budget.js';
import type { StopSignals } from './stop-signals.js';

/** The engine's options from the CLI's config: the engine itself knows nothing of flags. */
export function engineOptions(
  config: CliConfig,
  run: {
    complete: Complete;
    stats: BatchStats;
    signals: Pick<StopSignals, 'stop' | 'abort'>;
    onEvent?: (event: BatchEvent) => void;
    structured?: StructuredOutput;
    cache?: AnswerCache;
    budget?: RunBudget;
  },
): BatchOptions {
  return {
    complete: run.complete,
    model: config.model,
    temperature: config.temperature,
    maxTokens: config.maxTokens,
    // Under --max-cost an answer needs a length cap, or its worst case has no bound.
    budgetMaxTokens: run.budget ? BUDGET_DEFAULT_MAX_TOKENS : undefined,
    stream: config.stream,
    concurrency: config.concurrency,
    rpm: config.rpm,
    tpm: config.tpm,
    timeoutMs: config.timeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    retries: config.retries,
    order: config.order,
    stopSignal: run.signals.stop,
    abortSignal: run.signals.abort,
    stats: run.stats,
    onEvent: run.onEvent,
    deltaEvents: config.output.kind === 'terminal',
    extraBody: config.data.params,
    failTruncated: config.data.failTruncated,
    structured: run.structured,
    cache: run.cache,
    budget: run.budget,
  };
}
