import type { ReportData } from './report-data.js';
import type { PageAssets } from './page-assets.js';
import { bidiShown } from '../util/bidi.js';
import { controlsEscaped, sanitizeName } from '../util/sanitize.js';

/** Text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON that is safe inside a <script> element: no `<` at all (so no `</script>` or `<!--` can end or
 * bend it, whatever a prompt or answer holds), and the two line separators JavaScript once refused.
 * Nor anything that would act on a terminal were the page written to one (`report -o -`): C1
 * controls, DEL and the bidi controls as `\uXXXX` escapes, the same string once parsed.
 */
export function scriptJson(value: unknown): string {
  return controlsEscaped(
    JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}

/** The title as the page's HTML shows it: a control in a file name (an escape sequence) as `�`. */
const titleText = (title: string) => escapeHtml(sanitizeName(bidiShown(title)));

/** Inline code must not close its own element. */
function inlineSafe(code: string, tag: 'script' | 'style'): string {
  return code.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

/**
 * The whole report: one file, data and code inline. The Content-Security-Policy allows nothing to
 * be fetched (no connect, no images, no fonts from elsewhere), so opening it can never reach a network.
 */
export function renderHtml(data: ReportData, assets: PageAssets): string {
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="llm-batch report">
<title>${titleText(data.title)} · llm-batch report</title>
<style>${inlineSafe(assets.css, 'style')}</style>
</head>
<body>
<main id="app"><p>Loading the report of ${titleText(data.title)}…</p><noscript>This report needs JavaScript (it runs only code inside this file and sends nothing).</noscript></main>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>${inlineSafe(assets.js, 'script')}</script>
</body>
</html>
`;
}
