import { batchCacheBody, type LineDefaults } from '../batch/request-line.js';
import type { AnswerCache } from '../engine/answer-cache.js';
import { cachedRow, usableHit } from '../engine/build-row.js';
import type { BatchStats } from '../engine/stats.js';
import { judgeAnswer } from '../structured/judge-answer.js';
import type { AnswerCheck } from '../structured/check-types.js';
import type { PromptRecord, ResultRow } from '../types.js';

/**
 * The records a batch must still ask: one whose line body (keyed exactly as a live request's, so an
 * answer bought live counts, and the reverse) has a stored answer becomes a `cached: true` row
 * through `write` and is never uploaded; a batch of only hits is never created. With `check`
 * (--json-schema / --json) a hit is checked again, as live: one that fails is asked afresh.
 */
export async function* answeredFromCache(
  records: AsyncIterable<PromptRecord>,
  cache: AnswerCache,
  defaults: LineDefaults,
  stats: BatchStats,
  write: (row: ResultRow) => Promise<void>,
  check?: AnswerCheck,
  failTruncated = false,
): AsyncGenerator<PromptRecord> {
  for await (const record of records) {
    const body = record.problem ? undefined : batchCacheBody(record, defaults);
    const found = body && cache.getByBody(body, record.sample ?? 0);
    const hit = found && usableHit(found, failTruncated) ? found : undefined;
    const verdict = hit && check ? judgeAnswer(hit.text, hit.finishReason, check) : undefined;
    if (!body || !hit || (verdict && !verdict.ok)) {
      yield record;
      continue;
    }
    const row = cachedRow(record, { model: String(body['model']) }, hit, stats);
    await write(verdict?.ok ? { ...row, output: verdict.value } : row);
  }
}
