/**
 * A row a resume replaces was paid for: an `aborted` row (an invalid answer whose re-ask the budget
 * stopped), an `invalid_output` row asked again with --retry-failed. Its usage goes to the row that
 * replaces it when the file is compacted, so `report` of the output prices every request sent for
 * it, while each run's own summary still counts only that run's. Before, the compaction dropped
 * those rows with their usage and the report priced only the last run's answers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { reportDataOf } from '../helpers/report-data.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-carried-usage-');

const INVALID = 'Sure, here it comes: {"name": "half';
/** $1 per input token, nothing for output: a cost in dollars is the prompt tokens sent. */
const PRICE = ['--price', '1000000/0'];

const tokensOf = (requests: readonly { tokens: number }[]) => requests.reduce((sum, r) => sum + r.tokens, 0);
const summaryOf = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The prompt tokens the rows of a JSONL or CSV output hold, summed. */
function promptTokensIn(file: string, format: 'jsonl' | 'csv'): number {
  const text = fs.readFileSync(file, 'utf8');
  if (format === 'jsonl') return parseJsonl<ResultRow>(text).reduce((sum, row) => sum + (row.usage?.prompt_tokens ?? 0), 0);
  return (parseCsv(text, { columns: true }) as Record<string, string>[]).reduce((sum, row) => sum + Number(row['prompt_tokens'] || 0), 0);
}

describe.concurrent('a resume keeps the usage of the rows it replaces', () => {
  it.each(['jsonl', 'csv'] as const)('aborted rows after --max-cost, then --resume (%s): the report prices every request', async (format) => {
    const { server, run } = await fresh({ latencyMs: 0, schema: { answer: () => INVALID } });
    const input = writeFile(`cap-${format}.txt`, 'rate me\n');
    const out = path.join(dir, `cap.${format}`);
    const args = [input, '--json', '-o', out, '-c', '1', '--max-tokens', '5', '--no-cache', ...PRICE];
    const first = await run([...args, '--max-cost', '300', '--summary-json', path.join(dir, `cap-1-${format}.json`)]);
    expect(first.code, first.stderr).toBe(3);
    const paidFirst = tokensOf(server.requests);
    expect(paidFirst).toBeGreaterThan(0);

    server.options.schema = {};
    const secondSummary = path.join(dir, `cap-2-${format}.json`);
    const second = await run([...args, '--resume', '--max-cost', '1000000', '--summary-json', secondSummary]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/1 superseded row replaced by this run's \(compacted\)/);
    const paidSecond = tokensOf(server.requests) - paidFirst;
    // The resume's own summary counts what it spent, not the earlier run's.
    expect(summaryOf(secondSummary).promptTokens).toBe(paidSecond);

    expect(promptTokensIn(out, format)).toBe(paidFirst + paidSecond);
    const html = path.join(dir, `cap-${format}.html`);
    const report = await runInWorker(['report', out, '-o', html, ...PRICE]);
    expect(report.code, report.stderr).toBe(0);
    const { figures } = reportDataOf(html);
    expect(figures.promptTokens).toBe(paidFirst + paidSecond);
    expect(figures.cost.usd).toBeCloseTo(paidFirst + paidSecond, 6);
  });

  it('invalid_output rows, then --resume --retry-failed: the report prices the answers that failed too', async () => {
    const { server, run } = await fresh({ latencyMs: 0, schema: { answer: () => INVALID } });
    const input = writeFile('retry.txt', 'one\ntwo\n');
    const out = path.join(dir, 'retry.jsonl');
    const args = [input, '--json', '-o', out, '--schema-retries', '1', '--no-cache', ...PRICE];
    const first = await run(args);
    expect(first.code, first.stderr).toBe(1);
    expect(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8')).map((row) => row.error?.type)).toEqual(['invalid_output', 'invalid_output']);
    const paidFirst = tokensOf(server.requests);

    server.options.schema = {};
    const secondSummary = path.join(dir, 'retry-2.json');
    const second = await run([...args, '--resume', '--retry-failed', '--summary-json', secondSummary]);
    expect(second.code, second.stderr).toBe(0);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows.map((row) => row.error)).toEqual([null, null]);
    // Each row's own attempts are this run's; its usage holds every answer paid for it.
    expect(rows.map((row) => row.attempts)).toEqual([1, 1]);
    const paidAll = tokensOf(server.requests);
    expect(summaryOf(secondSummary).promptTokens).toBe(paidAll - paidFirst);
    expect(promptTokensIn(out, 'jsonl')).toBe(paidAll);

    const html = path.join(dir, 'retry.html');
    expect((await runCli(['report', out, '-o', html, ...PRICE])).code).toBe(0);
    expect(reportDataOf(html).figures.cost.usd).toBeCloseTo(paidAll, 6);
  });
});

describe('the same row twice in a file (a `cat out >> out`, a copy appended again)', () => {
  it.each(['jsonl', 'csv'] as const)('%s: --compact keeps it once with its own usage, not the sum of its copies; report prices it once', async (format) => {
    const input = writeFile(`twice-${format}.txt`, 'alpha\nbeta\n');
    const out = path.join(dir, `twice.${format}`);
    const first = await runCli([input, '--mock', '-o', out, '-q']);
    expect(first.code, first.stderr).toBe(0);
    const once = promptTokensIn(out, format);
    expect(once).toBeGreaterThan(0);
    const text = fs.readFileSync(out, 'utf8');
    const rows = format === 'csv' ? text.slice(text.indexOf('\n') + 1) : text;
    const doubled = path.join(dir, `twice-doubled.${format}`);
    fs.writeFileSync(doubled, text + rows);
    const compacted = path.join(dir, `twice-compacted.${format}`);
    const r = await runCli([doubled, '--compact', '-o', compacted, '-q']);
    expect(r.code, r.stderr).toBe(0);
    expect(promptTokensIn(compacted, format)).toBe(once);
    const html = path.join(dir, `twice-${format}.html`);
    const report = await runInWorker(['report', doubled, '-o', html]);
    expect(report.code, report.stderr).toBe(0);
    expect(reportDataOf(html).figures.promptTokens).toBe(once);
  });
});
