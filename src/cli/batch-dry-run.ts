import { ChunkSplitter } from '../batch/plan-chunks.js';
import { batchCacheBody, batchRequestLine } from '../batch/request-line.js';
import { BUDGET_DEFAULT_MAX_TOKENS } from '../budget/run-budget.js';
import { runLimitField } from './chat-base-url.js';
import type { StructuredRequest } from '../structured/types.js';
import type { PromptRecord } from '../types.js';
import { count } from '../ui/number-format.js';
import { jsonForDisplay } from '../util/sanitize.js';
import { createRedactor } from '../redact.js';
import type { CliConfig } from './config.js';
import { OPENAI_V1 } from '../provider/openai-url.js';

/** The Batch API halves the list price. */
export const BATCH_PRICE_FACTOR = 0.5;

/** What `--dry-run --batch-api` adds: the batches the run would submit, with its own line builder and splitter. */
export function batchDryRun(config: CliConfig, structured?: StructuredRequest) {
  const b = config.batchApi!;
  const defaults = {
    model: config.model,
    temperature: config.temperature,
    // As the run: max_tokens 4096 under --max-cost when none is set, and the run's parameters.
    maxTokens: config.maxTokens,
    budgetMaxTokens: config.maxCost !== undefined ? BUDGET_DEFAULT_MAX_TOKENS : undefined,
    limitField: runLimitField(config),
    structured,
    extraBody: config.data.params,
  };
  const splitter = new ChunkSplitter({ maxLines: b.batchSize, maxBytes: b.maxBytes });
  return {
    add(record: PromptRecord): void {
      const line = batchRequestLine(record, defaults);
      splitter.add(line.model, Buffer.byteLength(line.text) + 1);
    },
    /** The body a record's answer is cached under (without --max-cost's cap), as the run looks it up. */
    body: (record: PromptRecord) => batchCacheBody(record, defaults),
    /** The Batch line as uploaded, pretty-printed. */
    show: (record: PromptRecord): string => jsonForDisplay(JSON.parse(batchRequestLine(record, defaults).text)),
    // A key in a path segment of the URL is sent, never shown.
    endpoint: `${config.provider.kind === 'openai' ? createRedactor([config.provider.apiKey])(config.provider.baseURL ?? OPENAI_V1) : 'mock'}/files as Batch API lines`,
    summary: (): string =>
      `Batch API: ${count(splitter.chunks)} ${splitter.chunks === 1 ? 'batch' : 'batches'}, ${count(splitter.bytes)} bytes to upload (at most ${count(b.batchSize)} requests and ${count(b.maxBytes)} bytes each, one model per batch)`,
  };
}

export type BatchDryRun = ReturnType<typeof batchDryRun>;
