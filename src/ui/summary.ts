import type { BatchStats } from '../stats.js';
import type { StopReason } from '../events.js';

/** End-of-run figures; also what `--summary-json` writes. */
export interface RunSummary {
  ok: number;
  failed: number;
  failedByType: Record<string, number>;
  skipped: number;
  requests: number;
  retries: number;
  rateLimited: number;
  promptTokens: number;
  completionTokens: number;
  wallSeconds: number;
  requestsPerSecond: number;
  stopped: StopReason | null;
  resumeCommand: string | null;
}

export function buildSummary(stats: BatchStats, now: number, stopped: StopReason | undefined, resumeCommand: string | null): RunSummary {
  const wallSeconds = Math.max(0, (now - stats.startedAt) / 1000);
  return {
    ok: stats.ok,
    failed: stats.failed,
    failedByType: { ...stats.failedByType } as Record<string, number>,
    skipped: stats.skipped,
    requests: stats.requests,
    retries: stats.retries,
    rateLimited: stats.rateLimited,
    promptTokens: stats.promptTokens,
    completionTokens: stats.completionTokens,
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    requestsPerSecond: wallSeconds > 0 ? Math.round((stats.requests / wallSeconds) * 100) / 100 : 0,
    stopped: stopped ?? null,
    resumeCommand,
  };
}

const n = (x: number) => x.toLocaleString('en-US');

/** One line: `98 ok, 2 failed (timeout 1, http 1), 14 retries · 1,234 tokens in / 567 out · 12.3 s · 8.1 req/s`. */
export function formatSummaryLine(s: RunSummary): string {
  const failedDetail = Object.entries(s.failedByType)
    .filter(([, count]) => count > 0)
    .map(([type, count]) => `${type} ${count}`)
    .join(', ');
  const parts = [
    `${n(s.ok)} ok, ${n(s.failed)} failed${failedDetail ? ` (${failedDetail})` : ''}`
      + (s.skipped ? `, ${n(s.skipped)} already done` : '')
      + (s.retries ? `, ${n(s.retries)} retries` : '')
      + (s.rateLimited ? `, ${n(s.rateLimited)} × 429` : ''),
    `${n(s.promptTokens)} tokens in / ${n(s.completionTokens)} out`,
    `${s.wallSeconds.toFixed(1)} s`,
    `${s.requestsPerSecond.toFixed(1)} req/s`,
  ];
  return parts.join(' · ');
}
