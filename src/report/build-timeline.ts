import type { ReportRow } from './report-row.js';
import type { Timeline } from './report-data.js';
import { timeBucket } from './stats-math.js';

const MAX_BUCKETS = 240;

/** What a live run saw, beyond its rows: every attempt's send time and every 429's arrival (epoch ms). */
export interface RunEvents {
  attempts: number[];
  rateLimited: number[];
}

/**
 * Requests, answers, errors and 429s per time bucket. From rows: a row's last attempt (sent at
 * started_at, ended at finished_at). With the run's events: every attempt and every 429. Null when
 * there are no timestamps (files written before rows had them).
 */
export function buildTimeline(rows: readonly ReportRow[], events?: RunEvents): Timeline | null {
  let start = Infinity,
    end = -Infinity;
  for (const r of rows) {
    if (r.startedMs !== null) start = Math.min(start, r.startedMs);
    if (r.finishedMs !== null) end = Math.max(end, r.finishedMs);
  }
  const rowTimes = Number.isFinite(start);
  if (events) {
    for (const t of events.attempts) {
      start = Math.min(start, t);
      end = Math.max(end, t);
    }
    for (const t of events.rateLimited) end = Math.max(end, t);
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) return null;
  const bucketMs = timeBucket(Math.max(1, end - start), MAX_BUCKETS);
  const startMs = Math.floor(start / bucketMs) * bucketMs;
  const n = Math.floor((end - startMs) / bucketMs) + 1;
  const series = () => new Array<number>(n).fill(0);
  const sent = series(),
    ok = series(),
    failed = series(),
    rateLimited = series();
  const at = (t: number) => Math.min(n - 1, Math.max(0, Math.floor((t - startMs) / bucketMs)));
  for (const r of rows) {
    if (!events && r.startedMs !== null) sent[at(r.startedMs)]!++;
    const endMs = r.finishedMs ?? r.startedMs;
    if (endMs === null) continue;
    if (r.errorType === null) ok[at(endMs)]!++;
    else failed[at(endMs)]!++;
    if (!events && (r.errorType === 'rate_limit' || r.errorStatus === 429)) rateLimited[at(endMs)]!++;
  }
  if (events) {
    for (const t of events.attempts) sent[at(t)]!++;
    for (const t of events.rateLimited) rateLimited[at(t)]!++;
  }
  return { startMs, bucketMs, source: events ? 'events' : 'rows', rowTimes, sent, ok, failed, rateLimited };
}
