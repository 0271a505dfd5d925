import { describe, expect, it } from 'vitest';
import { buildReportData, latestRows } from '../../src/report/build-report-data.js';
import { messagePattern } from '../../src/report/build-error-groups.js';
import { buildLatency } from '../../src/report/build-latency.js';
import { buildTable, pickTableRows } from '../../src/report/build-table.js';
import { buildOutputFields } from '../../src/report/build-output-fields.js';
import { buildTimeline } from '../../src/report/build-timeline.js';
import { reportRowFromCsv, reportRowFromJson } from '../../src/report/read-report-rows.js';
import { escapeHtml, renderHtml, scriptJson } from '../../src/report/render-html.js';
import { defaultReportPath } from '../../src/report/report-target.js';
import { TABLE_COLUMNS } from '../../src/report/report-data.js';
import { percentile } from '../../src/report/stats-math.js';
import type { ReportRow } from '../../src/report/report-row.js';

const T0 = Date.parse('2026-11-30T00:00:00.000Z');

function row(i: number, extra: Record<string, unknown> = {}): ReportRow {
  return reportRowFromJson({
    id: `r${i}`,
    line: i + 1,
    prompt: `prompt ${i}`,
    response: `answer ${i}`,
    error: null,
    attempts: 1,
    latency_ms: 100 + i,
    started_at: new Date(T0 + i * 1000).toISOString(),
    finished_at: new Date(T0 + i * 1000 + 100 + i).toISOString(),
    model: 'gpt-4o-mini',
    finish_reason: 'stop',
    usage: { prompt_tokens: 10, completion_tokens: 20 },
    ...extra,
  });
}
const failed = (i: number, type: string, message: string, extra: Record<string, unknown> = {}) =>
  row(i, {
    response: null,
    error: { type, message, ...(type === 'rate_limit' ? { status: 429 } : {}) },
    latency_ms: null,
    model: null,
    usage: null,
    attempts: 3,
    ...extra,
  });

describe('report figures', () => {
  it.each([
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[42], 99, 42],
  ])('nearest-rank percentile of %j at p%i is %i', (values, p, expected) => {
    expect(percentile(Float64Array.from(values), p)).toBe(expected);
  });

  it('counts ok and failed by type, retries, tokens, cost, wall time and throughput from rows', async () => {
    const rows = [row(0), row(1), row(2), failed(3, 'timeout', 'timed out after 30000 ms'), failed(4, 'rate_limit', 'Rate limit reached')];
    const d = await buildReportData({ rows, title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    const f = d.figures;
    expect([f.rows, f.ok, f.failed]).toEqual([5, 3, 2]);
    expect(f.failedByType).toEqual({ timeout: 1, rate_limit: 1 });
    expect([f.attempts, f.retries, f.rateLimitedRows]).toEqual([9, 4, 1]);
    expect([f.promptTokens, f.completionTokens]).toEqual([30, 60]);
    // gpt-4o-mini at $0.15 / $0.60 per million.
    expect(f.cost?.usd).toBe(0.0000405); // $0.0000405, as the summary keeps it (it read 0.000041 at micro-dollars)
    expect(f.startedAt).toBe('2026-11-30T00:00:00.000Z');
    expect(f.wallSeconds).toBe(4.104); // last row starts at 4 s and takes 104 ms
    expect(f.rowsPerSecond).toBeCloseTo(5 / 4.104, 2);
    expect(d.latency).toMatchObject({ count: 3, p50: 101, p90: 102, p99: 102, max: 102 });
  });

  it('keeps the last row per prompt (a resumed --retry-failed run appends one), per model when there are several', async () => {
    const rows = [failed(0, 'timeout', 'x'), row(1), row(0, { attempts: 2 })];
    const latest = latestRows(rows);
    expect(latest.superseded).toBe(1);
    expect(latest.rows.map((r) => [r.id, r.errorType])).toEqual([
      ['r1', null],
      ['r0', null],
    ]);
    const models = [row(0, { model: 'a' }), row(0, { model: 'b' }), failed(0, 'http', 'x'), failed(0, 'http', 'x')];
    expect(latestRows(models).rows).toHaveLength(4);
  });

  it('a superseded row that was paid for adds its tokens to the row that replaces it, as --compact does', async () => {
    const aborted = failed(0, 'aborted', 'stopped', { usage: { prompt_tokens: 100, completion_tokens: 50, cached_tokens: 40 }, attempts: 1 });
    const fromCache = row(1, { cached: true, usage: { prompt_tokens: 9, completion_tokens: 9 } });
    const rows = [aborted, fromCache, failed(0, 'timeout', 'x'), row(1), row(0)];
    const latest = latestRows(rows);
    expect(latest.rows.map((r) => [r.id, r.promptTokens, r.completionTokens, r.cachedTokens])).toEqual([
      ['r1', 10, 20, null],
      ['r0', 110, 70, 40],
    ]);
    const d = await buildReportData({ rows, title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    expect([d.figures.promptTokens, d.figures.completionTokens, d.figures.superseded]).toEqual([120, 90, 3]);
  });

  it('groups errors by type and message with numbers and ids masked', async () => {
    expect(messagePattern('timed out after 30012 ms (req_abc123)')).toBe('timed out after # ms (…)');
    const rows = [failed(0, 'timeout', 'timed out after 30012 ms'), failed(1, 'timeout', 'timed out after 29870 ms'), failed(2, 'http', 'HTTP 500: oops')];
    const d = await buildReportData({ rows, title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    expect(d.errors.map((g) => [g.type, g.count, g.pattern])).toEqual([
      ['timeout', 2, 'timed out after # ms'],
      ['http', 1, 'HTTP #: oops'],
    ]);
  });

  it('draws a latency histogram up to past p99, counting a stuck request in the last bin', async () => {
    const values = Float64Array.from([...Array.from({ length: 99 }, (_, i) => 100 + i), 60_000]);
    const lat = buildLatency(values)!;
    expect(lat.counts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(lat.overflow).toBe(1);
    expect(lat.binWidth * lat.counts.length).toBeLessThan(1000);
  });

  it('buckets a timeline by time; none for rows without timestamps', async () => {
    const rows = [row(0), row(1), failed(2, 'rate_limit', '429')];
    const t = buildTimeline(rows)!;
    expect(t.source).toBe('rows');
    expect(t.sent.reduce((a, b) => a + b, 0)).toBe(3);
    expect(t.ok.reduce((a, b) => a + b, 0)).toBe(2);
    expect(t.rateLimited.reduce((a, b) => a + b, 0)).toBe(1);
    const withEvents = buildTimeline(rows, { attempts: [T0, T0 + 1, T0 + 2, T0 + 5], rateLimited: [T0 + 1, T0 + 2] })!;
    expect(withEvents.source).toBe('events');
    expect(withEvents.sent.reduce((a, b) => a + b, 0)).toBe(4);
    expect(withEvents.rateLimited.reduce((a, b) => a + b, 0)).toBe(2);
    const old = rows.map((r) => ({ ...r, startedMs: null, finishedMs: null }));
    expect(buildTimeline(old)).toBeNull();
  });

  it('compares models and samples side by side when rows hold several', async () => {
    const rows = [
      row(0, { model: 'a', sample: 0 }),
      row(1, { model: 'a', sample: 1 }),
      row(2, { model: 'b', sample: 0, latency_ms: 900 }),
      failed(3, 'http', 'x', { sample: 1 }),
    ];
    const d = await buildReportData({ rows, title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    expect(d.comparisons.map((c) => [c.by, c.groups.map((g) => [g.key, g.rows, g.failed, g.p50])])).toEqual([
      [
        'model',
        [
          ['a', 2, 0, 100],
          ['b', 1, 0, 900],
          ['(failed, no model)', 1, 1, null],
        ],
      ],
      [
        'sample',
        [
          ['0', 2, 0, 100],
          ['1', 2, 1, 101],
        ],
      ],
    ]);
    expect((await buildReportData({ rows: [row(0), row(1)], title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } })).comparisons).toEqual([]);
  });

  it("counts a plain run's rows as sample 0 beside the samples a `--resume --repeat` added", async () => {
    const rows = [row(0), row(1), row(2, { sample: 1 }), row(3, { sample: 1 }), row(4, { sample: 2, latency_ms: 900 })];
    const d = await buildReportData({ rows, title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    expect(d.figures.samples).toEqual([0, 1, 2]);
    expect(d.comparisons.map((c) => [c.by, c.groups.map((g) => [g.key, g.rows])])).toEqual([
      [
        'sample',
        [
          ['0', 2],
          ['1', 2],
          ['2', 1],
        ],
      ],
    ]);
    // Two samples, one of them the plain run's: still a comparison.
    const two = await buildReportData({ rows: rows.slice(0, 4), title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    expect(two.comparisons.map((c) => c.groups.map((g) => g.key))).toEqual([['0', '1']]);
    // A plain run alone names no samples.
    expect((await buildReportData({ rows: rows.slice(0, 2), title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } })).figures.samples).toEqual([]);
  });

  it('samples the table beyond its limits: failed rows first, the rest evenly, in file order', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => (i % 100 === 0 ? failed(i, 'http', 'x') : row(i)));
    const { picked, sampled } = pickTableRows(rows, 100, 1e9);
    expect(sampled).toBe(true);
    expect(picked).toHaveLength(100);
    expect(picked.filter((r) => r.errorType !== null)).toHaveLength(10);
    expect(picked.map((r) => r.line)).toEqual([...picked.map((r) => r.line)].sort((a, b) => a - b));
    expect(pickTableRows(rows.slice(0, 50), 100, 1e9).sampled).toBe(false);
  });
});

describe('reading results for a report', () => {
  it('reads CSV rows, old ones without timestamps, and extra columns as structured output', async () => {
    const record = {
      id: 'a',
      line: '3',
      prompt: "'=1+1",
      response: 'ok',
      error_type: '',
      error_message: '',
      error_status: '',
      error_code: '',
      attempts: '2',
      latency_ms: '120',
      model: 'm',
      finish_reason: 'stop',
      prompt_tokens: '5',
      completion_tokens: '7',
      sentiment: "'+1 positive",
    };
    // Written with --csv-escape-formulas: its cells' leading `'` is read back off.
    const r = reportRowFromCsv(record, undefined, true, true);
    expect(r).toMatchObject({
      id: 'a',
      line: 3,
      prompt: '=1+1',
      attempts: 2,
      latencyMs: 120,
      startedMs: null,
      promptTokens: 5,
      output: { sentiment: '+1 positive' },
    });
    // Any other CSV: a cell's `'` is its own ("'-' is the minus sign").
    expect(reportRowFromCsv(record)).toMatchObject({ prompt: "'=1+1", output: { sentiment: "'+1 positive" } });
  });

  it("a table's field columns show a row's own fields only: none named `__proto__` or `constructor` is {} or a function", async () => {
    const rows = ['{"__proto__":{"x":1},"n":1}', '{"n":2}', '{"n":3,"constructor":"c"}'].map((output, i) =>
      reportRowFromJson(JSON.parse(`{"id":"r${i}","line":${i + 1},"prompt":"p","response":"{}","error":null,"attempts":1,"output":${output}}`)),
    );
    const fields = buildOutputFields(rows);
    const table = await buildTable(rows, fields);
    const cells = table.rows.map((r) => Object.fromEntries(fields.map((f, j) => [f.property, (r[TABLE_COLUMNS.indexOf('output')] as string[])[j]])));
    expect(cells).toEqual([
      { ['__proto__']: '{"x":1}', n: '1', constructor: '' },
      { ['__proto__']: '', n: '2', constructor: '' },
      { ['__proto__']: '', n: '3', constructor: 'c' },
    ]);
  });

  it('fields past the 40 shown as columns are counted and the first named, not dropped in silence', async () => {
    const output = Object.fromEntries(Array.from({ length: 55 }, (_, i) => [`f${String(i).padStart(2, '0')}`, `v${i}`]));
    const rows = [0, 1].map((i) => reportRowFromJson({ id: `r${i}`, line: i + 1, prompt: 'p', response: '{}', error: null, attempts: 1, output }));
    const d = await buildReportData({ rows, title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    expect(d.outputFields.map((f) => f.name)).toEqual(Object.keys(output).slice(0, 40));
    expect(d.fieldsNotShown).toEqual({ count: 15, names: Object.keys(output).slice(40, 50) });
    const few = await buildReportData({ rows: rows.map((r) => ({ ...r, output: { a: 1 } })), title: 't', source: { path: 't', format: 'jsonl', bytes: 1 } });
    expect(few).not.toHaveProperty('fieldsNotShown');
  });

  it("fields in the schema's order when it is known (the run's metadata), whatever order an answer wrote them in", async () => {
    const rows = [
      { c: 1, b: 2, a: 3 },
      { a: 4, b: 5, c: 6, extra: 7 },
    ].map((output, i) => reportRowFromJson({ id: `r${i}`, line: i + 1, prompt: 'p', response: '{}', error: null, attempts: 1, output }));
    const source = { path: 't', format: 'jsonl' as const, bytes: 1 };
    expect((await buildReportData({ rows, title: 't', source })).outputFields.map((f) => f.name)).toEqual(['c', 'b', 'a', 'extra']);
    const ordered = await buildReportData({ rows, title: 't', source, fieldOrder: ['a', 'b', 'c', 'never'] });
    expect(ordered.outputFields.map((f) => f.name)).toEqual(['a', 'b', 'c', 'extra']);
  });

  it('keeps `output`, `sample` and `cached` from JSONL rows', async () => {
    const r = reportRowFromJson({ id: 'a', line: 1, prompt: 'p', response: '{}', error: null, attempts: 0, sample: 2, cached: true, output: { k: [1] } });
    expect(r).toMatchObject({ sample: 2, cached: true, output: { k: [1] } });
    expect(() => reportRowFromJson({ hello: 1 })).toThrow(/missing "id"/);
  });

  it('defaults the report path to the results file with .html', async () => {
    expect(defaultReportPath('runs/out.jsonl')).toBe('runs/out.html');
    expect(defaultReportPath('out')).toBe('out.html');
  });
});

describe('escaping', () => {
  it('embeds data with no < at all, so no </script> or <!-- can end the script element', async () => {
    const evil = '</script><script>alert(1)</script><!-- \u2028';
    const json = scriptJson({ evil });
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual({ evil });
    expect(escapeHtml('<b a="x">&\'')).toBe('&#60;b a=&#34;x&#34;&#62;&#38;&#39;');
  });

  it('escapes what acts on a terminal (the page written to one by `report -o -`): C1 controls, DEL, bidi controls', () => {
    const evil = 'csi \u009b31m del \u007f bidi \u202eevil\u202c \u2066x\u2069';
    const json = scriptJson({ evil });
    expect(json).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(JSON.parse(json)).toEqual({ evil });
  });

  it('puts untrusted text in the page only inside the JSON data', async () => {
    const rows = [row(0, { prompt: '</script><img src=x onerror=alert(1)>', response: '</SCRIPT >' })];
    const d = await buildReportData({ rows, title: '<title>.jsonl', source: { path: '<p>', format: 'jsonl', bytes: 1 } });
    const html = renderHtml(d, { js: 'var s = "</script>";', css: 'a{}' });
    expect(html.match(/<\/script>/gi)).toHaveLength(2); // the data's and the code's own closing tags
    expect(html).not.toContain('<img');
    expect(html).toContain('<title>&#60;title&#62;.jsonl · llm-batch report</title>');
    expect(html).toContain('Content-Security-Policy');
  });
});

describe('comparison groups of a model × sample run', () => {
  it('a failed row counts under the model it was asked of, not as "no model"', () => {
    const failed = {
      id: 'a',
      line: 1,
      prompt: 'p',
      response: null,
      error: { type: 'http', message: 'HTTP 500' },
      attempts: 3,
      latency_ms: null,
      model: null,
      requested_model: 'beta',
      sample: 0,
      finish_reason: null,
      usage: null,
    };
    const answered = { ...failed, error: null, response: 'r', model: 'beta-2025-01-01', latency_ms: 10 };
    expect(reportRowFromJson(failed).model).toBe('beta');
    expect(reportRowFromJson(answered).model).toBe('beta');
    expect(reportRowFromJson({ ...answered, requested_model: undefined }).model).toBe('beta-2025-01-01');
  });
});
