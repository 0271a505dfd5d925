import { bidiPieces } from '../util/bidi.js';

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

/** A cell's children: the text, each bidi control a marker (`⟨U+202E⟩`, class `ctl`) that says what it is. */
export function withBidiMarkers(text: string): Array<string | HTMLElement> {
  const pieces = bidiPieces(text);
  if (pieces.length === 1) return pieces;
  return pieces.map((p, i) =>
    i % 2 ? h('span', { class: 'ctl', title: `${p}, a bidirectional control: shown here, not applied (it would reorder the text)` }, `⟨${p}⟩`) : p,
  );
}

export { fmt } from './format.js';
