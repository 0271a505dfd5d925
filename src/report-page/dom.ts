/**
 * A tiny element builder. Text always goes in through textContent, never innerHTML: prompts and
 * answers are untrusted and must stay text.
 */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
      else if (k === 'class') el.className = String(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

export const fmt = {
  int: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US')),
  ms(n: number | null | undefined): string {
    if (n === null || n === undefined) return '–';
    if (n < 1000) return `${Math.round(n)} ms`;
    if (n < 60_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)} s`;
    return fmt.duration(n / 1000);
  },
  duration(s: number | null | undefined): string {
    if (s === null || s === undefined) return '–';
    if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
    const m = Math.floor(s / 60),
      sec = Math.round(s % 60);
    if (m < 60) return `${m}m ${String(sec).padStart(2, '0')}s`;
    return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
  },
  usd(n: number | null | undefined): string {
    if (n === null || n === undefined) return '–';
    return n >= 1 ? `$${n.toFixed(2)}` : n >= 0.01 ? `$${n.toFixed(3)}` : `$${n.toFixed(5)}`;
  },
  pct: (n: number, of: number): string => (of > 0 ? `${((100 * n) / of).toFixed(n === of || n === 0 ? 0 : 1)} %` : '–'),
  rate: (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n >= 100 ? fmt.int(n) : n.toFixed(n >= 10 ? 1 : 2)),
  time: (ms: number): string =>
    new Date(ms)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z'),
};
