import { batchRequestBody, type LineDefaults } from '../batch/request-line.js';
import type { AnswerCache } from '../engine/answer-cache.js';
import { cachedRow } from '../engine/build-row.js';
import type { BatchStats } from '../engine/stats.js';
import type { PromptRecord, ResultRow } from '../types.js';

/**
 * The records a batch must still ask: one whose line body (keyed exactly as a live request's, so an
 * answer bought live counts, and the reverse) has a stored answer becomes a `cached: true` row
 * through `write` and is never uploaded; a batch of only hits is never created.
 */
export async function* answeredFromCache(
  records: AsyncIterable<PromptRecord>,
  cache: AnswerCache,
  defaults: LineDefaults,
  stats: BatchStats,
  write: (row: ResultRow) => Promise<void>,
): AsyncGenerator<PromptRecord> {
  for await (const record of records) {
    const body = record.problem ? undefined : batchRequestBody(record, defaults);
    const hit = body && cache.getByBody(body, record.sample ?? 0);
    if (!body || !hit) {
      yield record;
      continue;
    }
    await write(cachedRow(record, { model: String(body['model']) }, hit, stats));
  }
}
