import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { Comparison, ReportData } from '../report/report-data.js';
import { batchNotices } from './batch-notices.js';
import { chartBox, comparisonChart, latencyChart, timelineChart } from './charts.js';
import { fmt, h, withBidiMarkers } from './dom.js';
import { bidiShown } from '../util/bidi.js';
import { RowsTable } from './table.js';
import { notRunText, stopNotice } from './stop-notice.js';

function section(id: string, title: string, ...children: Array<Node | null | false>): HTMLElement {
  return h('section', { id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...children);
}

function card(label: string, value: string, note?: string, cls?: string): HTMLElement {
  return h(
    'div',
    { class: `card ${cls ?? ''}`, 'data-figure': label },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    note ? h('div', { class: 'note' }, note) : null,
  );
}

function header(d: ReportData): HTMLElement {
  const f = d.figures;
  const run = d.run;
  const when = f.startedAt
    ? `${fmt.time(Date.parse(f.startedAt))} → ${fmt.time(Date.parse(f.finishedAt!))}`
    : !f.rows
      ? 'no rows'
      : allCached(f)
        ? `every row from the response cache, ${uncollected(d) ? 'the rest in batches not collected yet' : 'nothing sent'}`
        : 'no timestamps in this file';
  const stopText = stopNotice(run, f.notAskedAgain);
  const stopped = stopText === null ? null : h('p', { class: 'notice', id: 'stopped' }, stopText);
  const pending = batchNotices(d).map((n) => h('p', { class: 'notice', id: n.id }, n.text));
  const torn = d.source.tornRow
    ? h(
        'p',
        { class: 'notice', id: 'torn' },
        'The file ends with a row cut short (no line end after it: a write interrupted by a crash or a full disk), left out of this report; a --resume of its run asks that prompt again.',
      )
    : null;
  // Said on stderr too, but this page is what gets mailed: it must not pass for the whole run.
  const beingWritten = d.source.beingWritten
    ? h(
        'p',
        { class: 'notice', id: 'being-written' },
        'A run was still writing this file when this report was made: it holds the rows written so far, not those still to come. Report the file again once that run has ended.',
      )
    : null;
  // The title is the file's name: the subtitle names its folder only when there is one.
  const p = d.source.path;
  const folder = p.endsWith(d.title) ? p.slice(0, -d.title.length) : p;
  // File names as they are: a bidi control shown, not applied (`res\u202elmth.jsonl` read "…html").
  const where = folder ? `in ${bidiShown(folder)} · ` : '';
  return h(
    'header',
    null,
    h('h1', null, ...withBidiMarkers(d.title)),
    h('p', { class: 'muted', id: 'subtitle' }, `${where}${d.source.format.toUpperCase()} · ${when} · report made ${fmt.time(Date.parse(d.generatedAt))}`),
    stopped,
    beingWritten,
    ...pending,
    torn,
    f.rows === 0 ? h('p', { class: 'notice', id: 'empty' }, 'This file holds no rows, so there is nothing to count or chart.') : null,
  );
}

/** Every row an answer from the response cache: nothing was sent, so there are no times to show. */
const allCached = (f: ReportData['figures']): boolean => f.rows > 0 && f.cached === f.rows;

/** A --batch-api run's batches whose rows the report lacks: requests went out (or will), so not "nothing sent". */
const uncollected = (d: ReportData): boolean => d.pendingBatches + d.unsubmittedBatches + d.goneBatches > 0;

/** Why an all-cached file has no times: nothing was sent, or what was is in batches not collected yet. */
const noneSent = (d: ReportData): string => (uncollected(d) ? ' (the rest are in batches not collected yet)' : ': nothing was sent');

const answers = (n: number): string => `${fmt.int(n)} ${n === 1 ? 'answer' : 'answers'}`;

/** `1 attempt cut off`, as the summary line says it. */
const cutOff = (n: number): string => `${fmt.int(n)} ${n === 1 ? 'attempt' : 'attempts'} cut off`;

/** Where the cost came from, in a few words. */
function costNote(cost: NonNullable<ReportData['figures']['cost']>, f: ReportData['figures'], run: ReportData['run']): string {
  const given = cost.pricesMixed ? `at the prices the run was given and list prices of ${cost.pricesAsOf}` : 'at the prices the run was given';
  const parts = [cost.pricesGiven ? given : `list prices of ${cost.pricesAsOf}`];
  if (f.cached) parts.push(`${answers(f.cached)} from the cache at no cost`);
  for (const p of cost.pricedAs ?? []) parts.push(`answers of ${bidiShown(p.model)} priced as ${bidiShown(p.as)}`);
  if (cost.batchRows) parts.push(`${fmt.int(cost.batchRows)} Batch API rows at the Batch price`);
  if (cost.cachedTokens) parts.push(`${fmt.int(cost.cachedTokens)} cached input tokens at the cached price`);
  if (cost.cachedUnknownRows)
    parts.push(
      `input of ${fmt.int(cost.cachedUnknownRows)} ${cost.cachedUnknownRows === 1 ? 'row' : 'rows'} at the full price: the file has no cached_tokens column (an older llm-batch), so cached input could not be priced`,
    );
  if (cost.unpricedTokens) parts.push(`${fmt.int(cost.unpricedTokens)} tokens of unpriced models`);
  if (f.rowsWithoutUsage) parts.push(`${answers(f.rowsWithoutUsage)} without usage not priced`);
  if (run?.attemptsCutOff) parts.push(`${cutOff(run.attemptsCutOff)}, billed for what ${run.attemptsCutOff === 1 ? 'it' : 'they'} generated: not priced`);
  if (run?.costUsd !== undefined && run.costUsd !== null && Math.abs(run.costUsd - cost.usd) > 5e-7) parts.push(`${fmt.usd(run.costUsd)} this run`);
  return parts.join(' · ');
}

/**
 * Wall time and throughput, saying what they cover: the run's own clock when every row is this
 * run's; over the whole file otherwise (a resume), the time a request was in flight, so the gap
 * between runs counts in neither; Batch API rows by their batches' span, as throughput means nothing there.
 */
function timeCards(d: ReportData): HTMLElement[] {
  const f = d.figures;
  const run = d.run;
  const onlyThisRun = run !== null && !run.skipped && !f.superseded && !f.batch;
  const cards: HTMLElement[] = [];
  if (f.batch && f.batch.rows === f.rows) {
    const span = f.batch.seconds;
    cards.push(
      card(
        'Batch API time',
        span === null ? '–' : span < 1 ? 'under 1 s' : fmt.duration(span),
        `${fmt.int(f.batch.batches)} ${f.batch.batches === 1 ? 'batch' : 'batches'}: first started → last finished, as the Batch API reports them (whole seconds)`,
      ),
      card('throughput', '–', 'not meaningful for the Batch API: the provider decides when lines run'),
    );
    return cards;
  }
  if (onlyThisRun) {
    cards.push(card('wall time', fmt.duration(run.wallSeconds), 'this run, start to end'));
    cards.push(card('throughput', run.wallSeconds ? `${fmt.rate(f.rows / run.wallSeconds)} rows/s` : '–', 'rows over this run’s wall time'));
    return cards;
  }
  const whole = f.activeSeconds;
  const gap = f.runs > 1 && f.wallSeconds !== null ? `: the sum of ${f.runs} runs’ spans (first → last ${fmt.duration(f.wallSeconds)} with the gaps)` : '';
  const thisRun = run ? ` · this run ${fmt.duration(run.wallSeconds)}` : '';
  cards.push(
    card(
      'wall time',
      fmt.duration(whole),
      whole === null
        ? f.rows === 0
          ? 'no rows'
          : allCached(f)
            ? `every answer from the response cache: no request time${thisRun}`
            : 'needs started_at/finished_at'
        : `${rowsOfFile(f.rows - (f.batch?.rows ?? 0))}${gap || firstToLast(f)}${thisRun}`,
    ),
    card(
      'throughput',
      f.rowsPerSecond === null ? '–' : `${fmt.rate(f.rowsPerSecond)} rows/s`,
      f.rowsPerSecond === null ? undefined : `whole file, over that time${f.tokensPerSecond === null ? '' : ` · ${fmt.int(f.tokensPerSecond)} tokens/s`}`,
    ),
  );
  if (f.batch)
    cards.push(
      card(
        'Batch API time',
        f.batch.seconds === null ? '–' : f.batch.seconds < 1 ? 'under 1 s' : fmt.duration(f.batch.seconds),
        `${fmt.int(f.batch.rows)} rows from ${fmt.int(f.batch.batches)} batches`,
      ),
    );
  return cards;
}

/** `all 3 rows of the file`, or `the file's 1 row`. */
const rowsOfFile = (n: number): string => (n === 1 ? "the file's 1 row" : `all ${fmt.int(n)} rows of the file`);

/**
 * What a span from the rows covers: a row keeps only its last attempt's start, so with attempts
 * retried or re-asked the first request may have left before the span begins.
 */
function firstToLast(f: ReportData['figures']): string {
  return f.retries > 0 ? ', from the first row’s last attempt to the last answer (a row keeps no earlier attempt’s time)' : ', first request to last answer';
}

/**
 * Retries are the network's; re-asks (an invalid structured answer asked again) are attempts too. A
 * run's figures count them apart; rows count only attempts, so a structured file's card says both.
 */
function retriesCard(d: ReportData): HTMLElement {
  const run = d.run;
  if (run) {
    const reasks = run.reasks ? ` · ${fmt.int(run.reasks)} ${run.reasks === 1 ? 're-ask' : 're-asks'} of invalid answers` : '';
    return card('retries', fmt.int(run.retries), `this run${reasks}`);
  }
  const f = d.figures;
  const structured = d.outputFields.length > 0 || (f.failedByType['invalid_output'] ?? 0) > 0;
  return structured
    ? card('retries and re-asks', fmt.int(f.retries), 'attempts beyond the first: network retries and invalid answers asked again')
    : card('retries', fmt.int(f.retries), 'attempts beyond the first');
}

function figures(d: ReportData): HTMLElement {
  const f = d.figures;
  const atLeast = f.rowsWithoutUsage > 0 || (d.run?.attemptsCutOff ?? 0) > 0;
  const noUsage = atLeast && f.promptTokens + f.completionTokens === 0;
  const failedNote = Object.entries(f.failedByType)
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t} ${fmt.int(n)}`)
    .join(', ');
  const run = d.run;
  const partial = run !== null && (run.skipped > 0 || f.superseded > 0);
  const cards = [
    card(
      'ok',
      fmt.int(f.ok),
      [
        f.rows ? `${fmt.pct(f.ok, f.rows)} of ${fmt.int(f.rows)} ${f.rows === 1 ? 'row' : 'rows'}` : 'no rows',
        f.cached ? `${fmt.int(f.cached)} from cache` : '',
        // A stopped run's rows are all there are: the prompts it did not run are not among them
        // (those with an earlier failed row are, and count there).
        run?.stopped && run.notRun && run.notRun > (f.notAskedAgain ?? 0) ? notRunText(run.notRun - (f.notAskedAgain ?? 0)) : '',
      ]
        .filter(Boolean)
        .join(' · '),
      'good',
    ),
    card('failed', fmt.int(f.failed), failedNote || 'none', f.failed ? 'bad' : ''),
    card(
      'requests',
      fmt.int(run?.requests ?? f.attempts),
      run ? `sent by this run${partial ? ' (the rows cover the whole file)' : ''}` : 'attempts that led to these rows',
    ),
    retriesCard(d),
    card(
      '429s',
      fmt.int(run?.rateLimited ?? f.rateLimitedRows),
      run ? 'rate-limit refusals this run' : 'rows that ended in 429 (earlier 429s that a retry got past are not in rows)',
      (run?.rateLimited ?? f.rateLimitedRows) ? 'warn' : '',
    ),
    card(
      'tokens',
      `${fmt.int(f.promptTokens)} in`,
      [
        `${fmt.int(f.completionTokens)} out`,
        f.rowsWithoutUsage ? `${answers(f.rowsWithoutUsage)} without usage` : '',
        run?.attemptsCutOff ? cutOff(run.attemptsCutOff) : '',
        // As the summary counts: tokens sent for. A cache hit's were bought by an earlier run.
        f.cached
          ? `${fmt.int(f.cachedAnswerTokens.prompt)} in / ${fmt.int(f.cachedAnswerTokens.completion)} out in ${answers(f.cached)} from the cache, not sent again`
          : '',
      ]
        .filter(Boolean)
        .join(' · '),
    ),
    // As the summary line says it: answers without usage are not priced, so a cost is a lower bound,
    // and none at all is unknown (it said "no known price" of a priced model); a lower bound of
    // nothing, no usage at all, is unknown too ("≥ $0.00" where stderr said "cost unknown").
    card(
      'est. cost',
      !f.cost || noUsage ? '–' : `${atLeast ? '≥ ' : ''}${fmt.usd(f.cost.usd)}`,
      f.cost
        ? `${noUsage ? 'unknown: no usage reported · ' : ''}${costNote(f.cost, f, run)}`
        : !f.rows
          ? 'no rows'
          : f.rowsWithoutUsage
            ? `unknown: ${answers(f.rowsWithoutUsage)} without usage, so not priced`
            : 'no known price for these models',
    ),
    ...timeCards(d),
  ];
  if (d.latency)
    cards.push(
      card('latency p50 / p90 / p99', `${fmt.ms(d.latency.p50)}`, `p90 ${fmt.ms(d.latency.p90)} · p99 ${fmt.ms(d.latency.p99)} · max ${fmt.ms(d.latency.max)}`),
    );
  if (f.truncated)
    cards.push(
      card(
        'truncated',
        fmt.int(f.truncated),
        `answers cut at the token limit or the model's context (finish reason length or model_length), ${truncatedWhere(f)}`,
        'warn',
      ),
    );
  if (f.superseded)
    cards.push(card('superseded', fmt.int(f.superseded), 'earlier rows for prompts a later row answered (resumes, --retry-failed): not counted'));
  if (run?.skipped) cards.push(card('already done', fmt.int(run.skipped), 'rows from earlier runs this run skipped'));
  return section('figures', 'Run', h('div', { class: 'cards' }, ...cards));
}

/** Where the cut answers are counted: ok, failed (--fail-truncated, a schema answer cut short) or both. */
function truncatedWhere(f: ReportData['figures']): string {
  if (!f.truncatedFailed) return 'counted in ok';
  if (f.truncatedFailed === f.truncated) return 'counted as failed';
  return `${fmt.int(f.truncated - f.truncatedFailed)} counted in ok, ${fmt.int(f.truncatedFailed)} as failed`;
}

function latency(d: ReportData): HTMLElement {
  const lat = d.latency;
  if (!lat && allCached(d.figures))
    return section('latency', 'Latency', h('p', { class: 'muted' }, `Every answer came from the response cache${noneSent(d)}, so no latency.`));
  if (!lat) return section('latency', 'Latency', h('p', { class: 'muted' }, 'No answered rows with a latency.'));
  const box = chartBox('Latency histogram');
  const s = section(
    'latency',
    'Latency',
    h(
      'p',
      { class: 'stats' },
      ...(['p50', 'p90', 'p99'] as const).flatMap((k) => [h('span', { class: 'stat', 'data-stat': k }, h('b', null, k), ` ${fmt.ms(lat[k])}`)]),
      h(
        'span',
        { class: 'muted' },
        ` · mean ${fmt.ms(lat.mean)} · max ${fmt.ms(lat.max)} · ${answers(lat.count)}${lat.overflow ? ` · ${fmt.int(lat.overflow)} above ${fmt.ms(lat.binStart + lat.binWidth * lat.counts.length)} counted in the last bar` : ''}`,
      ),
    ),
    box,
  );
  queueMicrotask(() => latencyChart(box, lat));
  return s;
}

function timeline(d: ReportData): HTMLElement {
  const t = d.timeline;
  if (!t && d.figures.batch)
    return section(
      'timeline',
      'Over time',
      h(
        'p',
        { class: 'muted', id: 'no-timeline' },
        'Batch API rows carry their batch’s start and end (whole seconds), not when each request ran, so there is no time chart of them.',
      ),
    );
  if (!t && d.figures.rows === 0) return section('timeline', 'Over time', h('p', { class: 'muted', id: 'no-timeline' }, 'No rows, so no time chart.'));
  if (!t && allCached(d.figures))
    return section(
      'timeline',
      'Over time',
      h('p', { class: 'muted', id: 'no-timeline' }, `Every row came from the response cache${noneSent(d)}, so no time chart.`),
    );
  if (!t)
    return section(
      'timeline',
      'Over time',
      h(
        'p',
        { class: 'muted', id: 'no-timeline' },
        'These rows have no started_at/finished_at timestamps (a file from an older llm-batch), so there is no time chart.',
      ),
    );
  const box = chartBox('Requests, answers, errors and 429s over time');
  const note =
    t.source === 'events'
      ? 'Every request this run sent and every 429 it got.'
      : 'From rows: each row’s last attempt (a 429 that a retry got past leaves no trace in rows; --report on a run records every one).';
  queueMicrotask(() => timelineChart(box, t));
  return section('timeline', 'Over time', h('p', { class: 'muted' }, note), box);
}

function comparison(d: ReportData, c: Comparison): HTMLElement {
  const name = c.by === 'model' ? 'model' : 'sample';
  const head = ['', 'rows', 'ok', 'failed', 'p50', 'p90', 'mean latency', 'tokens in', 'tokens out', 'out / answer', 'est. cost'];
  const best = (pick: (g: Comparison['groups'][number]) => number | null, low = true) => {
    const vals = c.groups.map(pick).filter((v): v is number => v !== null);
    // A tie is no best: every group marked "best" would say nothing.
    return vals.length > 1 && vals.some((v) => v !== vals[0]) ? (low ? Math.min(...vals) : Math.max(...vals)) : null;
  };
  const bestP50 = best((g) => g.p50),
    bestFail = best((g) => (g.rows ? g.failed / g.rows : null));
  const rows = c.groups.map((g) =>
    h(
      'tr',
      null,
      // A model's name as the server or the input wrote it: a bidirectional control shown, not applied.
      h('th', { scope: 'row' }, ...(c.by === 'sample' ? [`sample ${g.key}`] : withBidiMarkers(g.key))),
      h('td', { class: 'num' }, fmt.int(g.rows)),
      h('td', { class: 'num' }, fmt.int(g.ok)),
      h('td', { class: `num ${g.rows && g.failed / g.rows === bestFail ? 'best' : ''}` }, `${fmt.int(g.failed)} (${fmt.pct(g.failed, g.rows)})`),
      h('td', { class: `num ${g.p50 !== null && g.p50 === bestP50 ? 'best' : ''}` }, fmt.ms(g.p50)),
      h('td', { class: 'num' }, fmt.ms(g.p90)),
      h('td', { class: 'num' }, fmt.ms(g.meanLatency)),
      h('td', { class: 'num' }, fmt.int(g.promptTokens)),
      h('td', { class: 'num' }, fmt.int(g.completionTokens)),
      h('td', { class: 'num' }, g.meanCompletionTokens === null ? '–' : String(g.meanCompletionTokens)),
      h('td', { class: 'num' }, fmt.usd(g.usd)),
    ),
  );
  const box = chartBox(`Latency by ${name}`);
  if (d.latency) queueMicrotask(() => comparisonChart(box, c, d.latency!));
  const unnamed = c.by === 'model' && c.groups.some((g) => g.key === '(failed, no model)');
  return h(
    'div',
    { class: 'comparison', 'data-by': c.by },
    h('h3', null, `By ${name}`),
    unnamed ? h('p', { class: 'muted' }, 'Rows name the model only when it answered, so failed rows that name none are counted apart.') : null,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid' },
        h('thead', null, h('tr', null, ...head.map((x) => h('th', { scope: 'col', class: x ? 'num' : '' }, x)))),
        h('tbody', null, ...rows),
      ),
    ),
    d.latency ? h('p', { class: 'muted' }, 'Latency distribution of each group’s answers (share per bin):') : null,
    d.latency ? box : null,
  );
}

function errors(d: ReportData, table: RowsTable): HTMLElement {
  if (!d.errors.length) return section('errors', 'Errors', h('p', { class: 'muted' }, 'No failed rows.'));
  const rows = d.errors.map((g) => {
    // Named apart for a screen reader, which lists the page's buttons by name: its type, status and
    // count.
    const label = `Show the ${fmt.int(g.count)} ${g.count === 1 ? 'row' : 'rows'} of ${g.type}${g.status ? ` ${g.status}` : ''}: ${g.example.slice(0, 80)}`;
    const show = h('button', { type: 'button', class: 'link', 'aria-label': label }, 'show rows');
    show.addEventListener('click', () => table.filterErrorGroup(g));
    return h(
      'tr',
      null,
      h('td', { class: 'num' }, fmt.int(g.count)),
      h('td', null, h('span', { class: 'badge bad' }, g.type), g.status ? ` ${g.status}` : ''),
      h('td', { class: 'text wrap' }, ...withBidiMarkers(g.example)),
      h('td', { class: 'id' }, ...withBidiMarkers(g.ids.join(', '))),
      h('td', null, show),
    );
  });
  return section(
    'errors',
    'Errors',
    h('p', { class: 'muted' }, 'Failed rows grouped by type and message (numbers and ids masked).'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid errors' },
        h('thead', null, h('tr', null, ...['rows', 'type', 'message (first of the group)', 'ids', ''].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', null, ...rows),
      ),
    ),
    d.errorsNotListed
      ? h(
          'p',
          { class: 'muted' },
          `… and ${fmt.int(d.errorsNotListed.groups)} more ${d.errorsNotListed.groups === 1 ? 'group' : 'groups'} of ${fmt.int(d.errorsNotListed.rows)} failed ${d.errorsNotListed.rows === 1 ? 'row' : 'rows'}, not listed: the rows below show every failed row (Status: failed).`,
        )
      : null,
  );
}

function outputFields(d: ReportData): HTMLElement | null {
  const withTop = d.outputFields.filter((f) => f.top);
  if (!d.outputFields.length) return null;
  return section(
    'fields',
    'Structured output',
    // Names and values as the model wrote them: a bidirectional control shown as its marker, as in the table.
    h('p', { class: 'muted' }, ...withBidiMarkers(`Fields: ${d.outputFields.map((f) => f.name).join(', ')} (columns in the table below).`)),
    // Past the columns shown: said, so that a field missing from the table is not taken for one the
    // answers lack.
    d.fieldsNotShown
      ? h(
          'p',
          { class: 'muted' },
          ...withBidiMarkers(
            `${fmt.int(d.fieldsNotShown.count)} more ${d.fieldsNotShown.count === 1 ? 'field is' : 'fields are'} not shown as columns (the first ${d.outputFields.length} are): ${d.fieldsNotShown.names.join(', ')}${d.fieldsNotShown.count > d.fieldsNotShown.names.length ? ', …' : ''}; each row's answer holds ${d.fieldsNotShown.count === 1 ? 'it' : 'them'}.`,
          ),
        )
      : null,
    h(
      'div',
      { class: 'cards fields' },
      ...withTop.map((f) =>
        h(
          'div',
          { class: 'card' },
          h('div', { class: 'label' }, ...withBidiMarkers(f.name)),
          h(
            'table',
            { class: 'mini' },
            h(
              'tbody',
              null,
              ...f.top!.map(([v, n]) => h('tr', null, h('td', null, ...(v === '' ? ['(empty)'] : withBidiMarkers(v))), h('td', { class: 'num' }, fmt.int(n)))),
            ),
          ),
        ),
      ),
    ),
  );
}

function start(): void {
  const t0 = performance.now();
  const raw = document.getElementById('report-data')?.textContent ?? 'null';
  const d = JSON.parse(raw) as ReportData;
  document.title = `${bidiShown(d.title)} · llm-batch report`;
  const table = new RowsTable(d);
  const app = document.getElementById('app')!;
  app.replaceChildren(
    header(d),
    figures(d),
    latency(d),
    timeline(d),
    ...(d.comparisons.length ? [section('compare', 'Comparison', ...d.comparisons.map((c) => comparison(d, c)))] : []),
    errors(d, table),
    outputFields(d) ?? '',
    table.el,
    h('footer', { class: 'muted' }, 'Made by llm-batch report. Everything is in this one file; it sends nothing anywhere.'),
  );
  // Charts draw in microtasks queued above; the mark is set once they have painted.
  requestAnimationFrame(() => {
    document.documentElement.dataset['ready'] = String(Math.round(performance.now() - t0));
  });
}

start();
