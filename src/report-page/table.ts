import type { ErrorGroup, ReportData } from '../report/report-data.js';
import { fmt, h, withBidiMarkers } from './dom.js';
import { messagePattern } from '../report/build-error-groups.js';
import { cutOffAt } from '../finish-reason.js';
import { rowStatus } from './row-status.js';
import { bidiShown } from '../util/bidi.js';

/** Column positions in a table row array (TABLE_COLUMNS). */
const C = {
  line: 0,
  id: 1,
  error: 2,
  model: 3,
  sample: 4,
  latency: 5,
  pt: 6,
  ct: 7,
  attempts: 8,
  prompt: 9,
  response: 10,
  errorMessage: 11,
  finish: 12,
  started: 13,
  cached: 14,
  output: 15,
  errorStatus: 16,
} as const;
type Row = unknown[];

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const PREVIEW = 160;
const preview = (s: string) => (s.length > PREVIEW ? `${s.slice(0, PREVIEW)}…` : s).replace(/\s+/g, ' ');

/** A cache hit was not sent: its 0 ms is no latency. */
const latencyText = (r: Row): string => (r[C.cached] ? '–' : fmt.ms(num(r[C.latency])));

/** ` (model m, sample 2)`: which answer of its line a row is, where the run has several. */
function rowOf(r: Row, f: ReportData['figures']): string {
  const parts = [f.models.length > 1 ? `model ${str(r[C.model])}` : '', f.samples.length > 1 ? `sample ${str(r[C.sample])}` : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The heading over the answer a failed row kept. */
function keptAnswerTitle(error: string, finishReason: string): string {
  const limit = cutOffAt(finishReason);
  if (limit) return `Partial answer (cut at ${limit})`;
  if (error === 'invalid_output') return 'The answer as received (it did not validate)';
  return 'The answer as received';
}

export interface TableFilter {
  /** Set by clicking an error group. */
  errorGroup?: Pick<ErrorGroup, 'type' | 'status' | 'pattern'>;
}

type SortKey = 'line' | 'latency' | 'pt' | 'ct' | 'attempts';

/** Where the focus goes when a pager button it was on is disabled on the new page (Next on the last). */
const PAGER_NEIGHBOUR: Record<string, string> = {
  'First page': 'Next page',
  'Previous page': 'Next page',
  'Next page': 'Previous page',
  'Last page': 'Previous page',
};

/**
 * The rows: searched (prompt, answer, error, id, output fields), filtered (ok/failed, error type,
 * model, sample, error group), sorted (line, latency, tokens, attempts) and paged; a click opens a
 * row to its full prompt and answer, and to the same prompt's rows for the other models and samples.
 */
export class RowsTable {
  private readonly rows: Row[];
  private lower: string[] | undefined;
  private patterns: string[] | undefined;
  private view: number[] = [];
  private page = 0;
  private pageSize = 50;
  private sort: { key: SortKey; dir: 1 | -1 } = { key: 'line', dir: 1 };
  private readonly open = new Set<number>();
  private byIdIndex: Map<string, number[]> | undefined;
  private query = '';
  private status = '';
  private errorType = '';
  private model = '';
  private sample = '';
  private group: TableFilter['errorGroup'];
  readonly el: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly info: HTMLElement;
  private readonly pager: HTMLElement;
  private readonly chip: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly searchBox: HTMLInputElement;
  private readonly errorSelect: HTMLSelectElement;
  private readonly statusSelect: HTMLSelectElement;
  private readonly headers = new Map<SortKey, HTMLElement>();

  constructor(private readonly data: ReportData) {
    this.rows = data.table.rows;
    const f = data.figures;
    const errorTypes = Object.keys(f.failedByType).sort();
    let timer: number | undefined;
    this.searchBox = h('input', { type: 'search', placeholder: 'Search prompts, answers, errors…', 'aria-label': 'Search', class: 'search' });
    this.searchBox.addEventListener('input', () => {
      clearTimeout(timer);
      timer = window.setTimeout(() => this.setQuery(this.searchBox.value), 120);
    });
    const select = (label: string, options: Array<[string, string]>, onChange: (v: string) => void) => {
      const s = h('select', { 'aria-label': label }, ...options.map(([v, t]) => h('option', { value: v }, t)));
      s.addEventListener('change', () => onChange(s.value));
      return s;
    };
    this.statusSelect = select(
      'Status',
      [
        ['', 'ok and failed'],
        ['ok', 'ok'],
        ['failed', 'failed'],
        // Cut answers may be ok or failed (--fail-truncated, a schema answer cut short): the label says neither.
        ...(f.truncated ? [['truncated', `truncated (${fmt.int(f.truncated)})`] as [string, string]] : []),
      ],
      (v) => {
        this.status = v;
        this.refresh();
      },
    );
    this.errorSelect = select(
      'Error type',
      [['', 'any error type'], ...errorTypes.map((t): [string, string] => [t, `${t} (${fmt.int(f.failedByType[t])})`])],
      (v) => {
        this.errorType = v;
        this.refresh();
      },
    );
    const modelSelect =
      f.models.length > 1
        ? select('Model', [['', 'all models'], ...f.models.map((m): [string, string] => [m, bidiShown(m)])], (v) => {
            this.model = v;
            this.refresh();
          })
        : null;
    const sampleSelect =
      f.samples.length > 1
        ? select('Sample', [['', 'all samples'], ...f.samples.map((s): [string, string] => [String(s), `sample ${s}`])], (v) => {
            this.sample = v;
            this.refresh();
          })
        : null;
    this.chip = h('span', { class: 'chip', hidden: true });
    this.info = h('p', { class: 'muted', 'aria-live': 'polite' });
    this.pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
    this.body = h('tbody');
    // Focusable from script: "show rows" in the errors section moves the keyboard here.
    this.heading = h('h2', { id: 'rows-h', tabindex: -1 }, 'Rows');
    const th = (label: string, key?: SortKey, cls?: string) => {
      const cell = h('th', { scope: 'col', class: cls }, label);
      if (key) {
        const b = h('button', { class: 'sort', type: 'button', title: `Sort by ${label}` }, label);
        b.addEventListener('click', () => this.setSort(key));
        cell.textContent = '';
        cell.append(b);
        this.headers.set(key, cell);
      }
      return cell;
    };
    const fields = data.outputFields;
    const head = h(
      'tr',
      null,
      th('', undefined, 'narrow'),
      th('line', 'line', 'num'),
      th('id'),
      th('status'),
      f.models.length > 1 ? th('model') : null,
      f.samples.length > 1 ? th('sample', undefined, 'num') : null,
      th('latency', 'latency', 'num'),
      th('tokens in', 'pt', 'num'),
      th('tokens out', 'ct', 'num'),
      th('tries', 'attempts', 'num'),
      // A schema's fields before the texts: they are short, and what one reads first.
      // A field's name is the model's (--json): a bidirectional control in it shown, not applied.
      ...fields.map((fl) => h('th', { scope: 'col', class: 'field' }, ...withBidiMarkers(fl.name))),
      th('prompt', undefined, 'text'),
      th('answer', undefined, 'text'),
    );
    this.el = h(
      'section',
      { id: 'rows', 'aria-labelledby': 'rows-h' },
      this.heading,
      data.table.sampled
        ? h(
            'p',
            { class: 'notice', id: 'sampled' },
            `This table holds a sample of ${fmt.int(data.table.rows.length)} of the ${fmt.int(data.table.total)} rows (every failed row first, then an even spread): the output is larger than ${fmt.int(data.table.limitRows)} rows or ${fmt.int(data.table.limitChars / 1e6)} million characters of text. The figures and charts above count every row.`,
          )
        : null,
      h('div', { class: 'controls' }, this.searchBox, this.statusSelect, errorTypes.length ? this.errorSelect : null, modelSelect, sampleSelect, this.chip),
      this.info,
      h('div', { class: 'scroll' }, h('table', { class: 'rows' }, h('thead', null, head), this.body)),
      this.pager,
    );
    this.refresh();
  }

  /**
   * Shows only the rows of one error group (from the errors section): its type, its HTTP status (a
   * 400 and a 422 in the same words are two groups) and its pattern.
   */
  filterErrorGroup({ type, status, pattern }: NonNullable<TableFilter['errorGroup']>): void {
    this.group = { type, status, pattern };
    this.status = 'failed';
    this.statusSelect.value = 'failed';
    this.errorType = '';
    this.errorSelect.value = '';
    this.chip.hidden = false;
    this.chip.textContent = '';
    const clear = h('button', { type: 'button', 'aria-label': 'Clear error group filter' }, '×');
    clear.addEventListener('click', () => {
      this.group = undefined;
      this.chip.hidden = true;
      this.refresh();
      // The button is gone with its chip: the keyboard stays among the filters, not on <body>.
      this.statusSelect.focus();
    });
    this.chip.append(
      `${type}${status === null ? '' : ` ${status}`}: `,
      h('bdi', null, ...withBidiMarkers(pattern.length > 60 ? `${pattern.slice(0, 60)}…` : pattern)),
      ' ',
      clear,
    );
    this.refresh();
    this.el.scrollIntoView({ behavior: 'instant' as ScrollBehavior, block: 'start' });
    // The keyboard follows the page to the rows shown, not left on the button up in the errors.
    this.heading.focus({ preventScroll: true });
  }

  private setQuery(q: string): void {
    this.query = q.trim().toLowerCase();
    this.refresh();
  }

  private setSort(key: SortKey): void {
    this.sort = this.sort.key === key ? { key, dir: this.sort.dir === 1 ? -1 : 1 } : { key, dir: key === 'line' ? 1 : -1 };
    this.refresh();
  }

  /** Rows by id (the same prompt for other models and samples), built when a row is first opened. */
  private get byId(): Map<string, number[]> {
    if (!this.byIdIndex) {
      const index = new Map<string, number[]>();
      this.rows.forEach((r, i) => {
        const id = str(r[C.id]);
        const list = index.get(id);
        if (list) list.push(i);
        else index.set(id, [i]);
      });
      this.byIdIndex = index;
    }
    return this.byIdIndex;
  }

  private haystack(i: number): string {
    if (!this.lower) {
      this.lower = this.rows.map((r) => {
        const out = Array.isArray(r[C.output]) ? (r[C.output] as unknown[]).join('\n') : '';
        return `${str(r[C.id])}\n${str(r[C.prompt])}\n${str(r[C.response])}\n${str(r[C.errorMessage])}\n${out}`.toLowerCase();
      });
    }
    return this.lower[i]!;
  }

  private patternOf(i: number): string {
    this.patterns ??= this.rows.map((r) => (r[C.error] ? messagePattern(str(r[C.errorMessage])) : ''));
    return this.patterns[i]!;
  }

  private refresh(): void {
    const { status, errorType, model, sample, query, group } = this;
    const view: number[] = [];
    for (let i = 0; i < this.rows.length; i++) {
      const r = this.rows[i]!;
      const err = str(r[C.error]);
      if (status === 'ok' && err) continue;
      if (status === 'failed' && !err) continue;
      if (status === 'truncated' && !cutOffAt(str(r[C.finish]))) continue;
      if (errorType && err !== errorType) continue;
      if (model && str(r[C.model]) !== model) continue;
      if (sample && str(r[C.sample]) !== sample) continue;
      if (group && (err !== group.type || (num(r[C.errorStatus]) ?? null) !== group.status || this.patternOf(i) !== group.pattern)) continue;
      if (query && !this.haystack(i).includes(query)) continue;
      view.push(i);
    }
    const col = { line: C.line, latency: C.latency, pt: C.pt, ct: C.ct, attempts: C.attempts }[this.sort.key];
    const dir = this.sort.dir;
    // A cache hit's 0 ms is no latency (latencyText shows "–"): empty, so last, not first ascending.
    const value = (i: number) => (this.sort.key === 'latency' && this.rows[i]![C.cached] ? null : num(this.rows[i]![col]));
    view.sort((a, b) => {
      const x = value(a),
        y = value(b);
      if (x === y) return a - b;
      if (x === null) return 1; // empty values last either way
      if (y === null) return -1;
      return (x - y) * dir;
    });
    this.view = view;
    this.page = 0;
    for (const [key, cell] of this.headers) cell.setAttribute('aria-sort', key === this.sort.key ? (dir === 1 ? 'ascending' : 'descending') : 'none');
    this.render();
  }

  private render(): void {
    const refocus = this.focusToKeep();
    const pages = Math.max(1, Math.ceil(this.view.length / this.pageSize));
    this.page = Math.min(this.page, pages - 1);
    const from = this.page * this.pageSize;
    const slice = this.view.slice(from, from + this.pageSize);
    const shownOf =
      this.view.length === this.rows.length
        ? `${fmt.int(this.rows.length)} ${this.rows.length === 1 ? 'row' : 'rows'}`
        : `${fmt.int(this.view.length)} of ${fmt.int(this.rows.length)} rows match`;
    this.info.textContent = this.view.length
      ? `${shownOf} · showing ${slice.length === 1 ? fmt.int(from + 1) : `${fmt.int(from + 1)}–${fmt.int(from + slice.length)}`}`
      : `No rows match (of ${fmt.int(this.rows.length)}).`;
    this.body.replaceChildren(...slice.flatMap((i) => this.rowElements(i)));
    this.renderPager(pages);
    refocus?.();
  }

  /**
   * The rows and the pager are built anew on each render: the control the keyboard was on (a row's
   * button, a pager button, rows per page) would be gone and the focus left on <body>. What focuses
   * its equivalent in the new ones, or its neighbour where that is disabled now.
   */
  private focusToKeep(): (() => void) | undefined {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || !(this.body.contains(active) || this.pager.contains(active))) return undefined;
    const row = active.closest('tr[data-row]')?.getAttribute('data-row');
    const label = active.getAttribute('aria-label');
    const selectors =
      row !== null && row !== undefined
        ? [`tr[data-row="${row}"] button.expand`]
        : label
          ? [label, PAGER_NEIGHBOUR[label]].filter(Boolean).map((l) => `[aria-label="${l}"]`)
          : [];
    return () => {
      for (const selector of selectors) {
        const el = this.el.querySelector<HTMLButtonElement | HTMLSelectElement>(selector);
        if (el && !el.disabled) return el.focus();
      }
    };
  }

  private renderPager(pages: number): void {
    const go = (p: number) => () => {
      this.page = Math.max(0, Math.min(pages - 1, p));
      this.render();
    };
    const btn = (label: string, title: string, p: number, disabled: boolean) =>
      h('button', { type: 'button', title, 'aria-label': title, disabled, onclick: go(p) as EventListener }, label);
    const size = h(
      'select',
      { 'aria-label': 'Rows per page' },
      ...[25, 50, 100, 250].map((n) => h('option', { value: n, selected: n === this.pageSize }, `${n} per page`)),
    );
    size.addEventListener('change', () => {
      this.pageSize = Number(size.value);
      this.page = 0;
      this.render();
    });
    this.pager.replaceChildren(
      btn('«', 'First page', 0, this.page === 0),
      btn('‹', 'Previous page', this.page - 1, this.page === 0),
      h('span', { class: 'page' }, `page ${fmt.int(this.page + 1)} of ${fmt.int(pages)}`),
      btn('›', 'Next page', this.page + 1, this.page >= pages - 1),
      btn('»', 'Last page', pages - 1, this.page >= pages - 1),
      size,
    );
  }

  private rowElements(i: number): HTMLElement[] {
    const r = this.rows[i]!;
    const f = this.data.figures;
    const err = str(r[C.error]);
    const isOpen = this.open.has(i);
    const status = rowStatus(err, str(r[C.finish]), Boolean(r[C.cached]));
    const toggle = h(
      'button',
      // With several models or samples a line has a row each: the label tells them apart.
      { type: 'button', class: 'expand', 'aria-expanded': String(isOpen), 'aria-label': `Show row ${str(r[C.line])}${rowOf(r, f)} in full` },
      isOpen ? '▾' : '▸',
    );
    const answer = err ? str(r[C.errorMessage]) : str(r[C.response]);
    const fields = Array.isArray(r[C.output]) ? (r[C.output] as string[]) : [];
    const tr = h(
      'tr',
      { class: status.classes || null, 'data-row': i },
      h('td', { class: 'narrow' }, toggle),
      h('td', { class: 'num' }, str(r[C.line])),
      h('td', { class: 'id' }, ...withBidiMarkers(str(r[C.id]))),
      h('td', null, h('span', { class: `badge ${status.badge}` }, status.label)),
      f.models.length > 1 ? h('td', { class: 'model' }, ...withBidiMarkers(str(r[C.model]))) : null,
      f.samples.length > 1 ? h('td', { class: 'num' }, str(r[C.sample])) : null,
      h('td', { class: 'num' }, latencyText(r)),
      h('td', { class: 'num' }, fmt.int(num(r[C.pt]))),
      h('td', { class: 'num' }, fmt.int(num(r[C.ct]))),
      h('td', { class: 'num' }, str(r[C.attempts])),
      // Cells clip through a block inside: a table cell's own max-width does not bound its column.
      ...this.data.outputFields.map((_, k) => h('td', { class: 'field' }, h('div', { class: 'clip' }, ...withBidiMarkers(preview(fields[k] ?? ''))))),
      h('td', { class: 'text' }, h('div', { class: 'clip' }, ...withBidiMarkers(preview(str(r[C.prompt]))))),
      h('td', { class: err ? 'text error-text' : 'text' }, h('div', { class: 'clip' }, ...withBidiMarkers(preview(answer)))),
    );
    const flip = () => {
      if (this.open.has(i)) this.open.delete(i);
      else this.open.add(i);
      this.render();
    };
    tr.addEventListener('click', (e) => {
      // Selecting text in a row must not fold it.
      if ((e.target as HTMLElement).closest('button') === toggle || !window.getSelection()?.toString()) flip();
    });
    if (!isOpen) return [tr];
    const span = tr.children.length;
    return [tr, h('tr', { class: 'detail' }, h('td', { colspan: span }, this.detail(i)))];
  }

  private detail(i: number): HTMLElement {
    const r = this.rows[i]!;
    const err = str(r[C.error]);
    const started = num(r[C.started]);
    const meta: Array<[string, string]> = [
      ['status', rowStatus(err, str(r[C.finish]), Boolean(r[C.cached])).label],
      ['id', str(r[C.id])],
      ['line', str(r[C.line])],
      ['model', str(r[C.model]) || '–'],
      ...(r[C.sample] !== null ? [['sample', str(r[C.sample])] as [string, string]] : []),
      ['finish reason', str(r[C.finish]) || '–'],
      ['attempts', str(r[C.attempts])],
      ['latency', latencyText(r)],
      ['tokens', `${fmt.int(num(r[C.pt]))} in / ${fmt.int(num(r[C.ct]))} out`],
      ...(started !== null ? [['started', new Date(started).toISOString()] as [string, string]] : []),
    ];
    const fields = Array.isArray(r[C.output]) ? (r[C.output] as string[]) : null;
    const siblings = (this.byId.get(str(r[C.id])) ?? []).filter((j) => j !== i);
    return h(
      'div',
      { class: 'detail-body' },
      h('dl', { class: 'meta' }, ...meta.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, ...withBidiMarkers(v))])),
      h('h4', null, 'Prompt'),
      h('pre', { class: 'full prompt' }, ...withBidiMarkers(str(r[C.prompt]))),
      err ? h('h4', null, `Error: ${err}`) : h('h4', null, 'Answer'),
      h('pre', { class: err ? 'full error-text' : 'full answer' }, ...withBidiMarkers(err ? str(r[C.errorMessage]) : str(r[C.response]))),
      // A failed row may keep what was answered (paid for): a cut-off answer, one that did not validate.
      ...(err && str(r[C.response])
        ? [h('h4', null, keptAnswerTitle(err, str(r[C.finish]))), h('pre', { class: 'full answer' }, ...withBidiMarkers(str(r[C.response])))]
        : []),
      fields && this.data.outputFields.length
        ? h(
            'dl',
            { class: 'meta fields' },
            ...this.data.outputFields.flatMap((fl, k) => [h('dt', null, ...withBidiMarkers(fl.name)), h('dd', null, ...withBidiMarkers(fields[k] ?? ''))]),
          )
        : null,
      siblings.length
        ? h(
            'div',
            { class: 'siblings' },
            h('h4', null, 'The same prompt in other rows'),
            ...siblings.slice(0, 20).map((j) => {
              const s = this.rows[j]!;
              const label = [str(s[C.model]), s[C.sample] !== null ? `sample ${str(s[C.sample])}` : ''].filter(Boolean).join(' · ') || `line ${str(s[C.line])}`;
              return h(
                'div',
                { class: 'sibling' },
                h('strong', null, h('bdi', null, ...withBidiMarkers(label)), s[C.error] ? ` — ${str(s[C.error])}` : ''),
                h('pre', { class: 'full' }, ...withBidiMarkers(s[C.error] ? str(s[C.errorMessage]) : str(s[C.response]))),
              );
            }),
          )
        : null,
    );
  }
}
