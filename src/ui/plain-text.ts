import { sanitize } from '../util/sanitize.js';

/**
 * A locale that is explicitly not UTF-8 (`LANG=C`, `LC_ALL=POSIX`, `…ISO-8859-1`) shows `·`, `…`
 * and the bar's blocks as mojibake (or `?`), in a terminal and in cron's mail alike. Such a run
 * gets ASCII stand-ins. An unset locale is taken as UTF-8: that is what Node and nearly every
 * terminal speak, and what the rest of the output (the answers) is anyway.
 */
export function localeIsAscii(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG;
  if (!locale) return false;
  return !/utf-?8/i.test(locale);
}

/** The `�` sanitize shows a control character as. */
const SHOWN_CONTROL = /\ufffd/g;

// ·, …, –—─, ×, █, ░, →, ✗, ≥ and ’, as escapes: the CLI's script must be ASCII (scripts/bundle.mjs).
const STAND_INS: ReadonlyArray<[RegExp, string]> = [
  [/\u00b7/g, '-'],
  [/\u2026/g, '...'],
  [/[\u2013\u2014\u2500]/g, '-'],
  [/\u00d7/g, 'x'],
  [/\u2588/g, '#'],
  [/\u2591/g, '.'],
  [/\u2192/g, '->'],
  [/\u2717/g, 'x'],
  [/\u2265/g, '>='],
  [/\u2019/g, "'"],
  // What sanitize shows for a control character (in a file name, a prompt, a server's message).
  [SHOWN_CONTROL, '?'],
];

/** The same text with ASCII stand-ins for the few non-ASCII characters llm-batch itself writes. */
export function toAscii(text: string): string {
  let out = text;
  for (const [re, ascii] of STAND_INS) out = out.replace(re, ascii);
  return out;
}

/**
 * Answer text as a terminal is shown it: sanitized, and in such a locale (`ascii`) with `?` for the
 * `�` a control character is shown as (and a `�` the model wrote, which looks the same), where an
 * ASCII or Latin-1 terminal would show `ï¿½`. Nothing else: the rest is the model's own text (é, …,
 * —), not what llm-batch writes.
 */
export function shownAnswer(text: string, ascii: boolean): string {
  const clean = sanitize(text);
  return ascii ? clean.replace(SHOWN_CONTROL, '?') : clean;
}
