import type { ReportRow } from './report-row.js';
import type { ErrorGroup } from './report-data.js';

const MAX_GROUPS = 200;
const MAX_IDS = 5;

/**
 * A message with what varies per request masked (numbers, hex and uuids, quoted values), so "timed
 * out after 30012 ms" and "…30240 ms" fall in one group.
 */
export function messagePattern(message: string): string {
  return message
    .slice(0, 400)
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '…')
    .replace(/\b(?:req|chatcmpl|call)[-_][A-Za-z0-9]+/g, '…')
    .replace(/\b0x[0-9a-f]+\b|\b[0-9a-f]{16,}\b/gi, '…')
    .replace(/\d+(?:\.\d+)?/g, '#');
}

/** Failed rows grouped by error type, status and message pattern, the largest group first. */
export function buildErrorGroups(rows: readonly ReportRow[]): { groups: ErrorGroup[]; more: { groups: number; rows: number } } {
  const groups = new Map<string, ErrorGroup>();
  for (const r of rows) {
    if (r.errorType === null) continue;
    const pattern = messagePattern(r.errorMessage ?? '');
    const key = `${r.errorType}\u0000${r.errorStatus ?? ''}\u0000${pattern}`;
    let g = groups.get(key);
    if (!g)
      groups.set(
        key,
        (g = { type: r.errorType, status: r.errorStatus, pattern, example: (r.errorMessage ?? '').slice(0, 2000), count: 0, firstLine: r.line, ids: [] }),
      );
    g.count++;
    // One prompt fails once per model and sample: list each id once, so others still fit.
    if (g.ids.length < MAX_IDS && !g.ids.includes(r.id)) g.ids.push(r.id);
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || a.firstLine - b.firstLine);
  const left = sorted.slice(MAX_GROUPS);
  return { groups: sorted.slice(0, MAX_GROUPS), more: { groups: left.length, rows: left.reduce((n, g) => n + g.count, 0) } };
}
