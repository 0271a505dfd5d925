import { keptNumberText, stringifyExact } from '../structured/exact-numbers.js';

/**
 * Prompt templates: plain text with `{{name}}` placeholders; whitespace inside the braces is allowed
 * (`{{ name }}`, and names may contain inner spaces, e.g. `{{first name}}` for a CSV column).
 *
 * Deliberately minimal, so that there is nothing to learn or to get wrong:
 * - A name is looked up as a literal own key of the row: `{{a.b}}` means the key "a.b", not a path.
 * - No escaping: single braces and `}}` are text (a JSON example in a prompt needs nothing), and
 *   `{{{{x}}}}` is just the placeholder `{{x}}` with literal braces around it. A `{{` that opens no
 *   placeholder (`{{title}`, `{{}}`) is a typo, refused up front by `templateProblem`, as is a
 *   template with no placeholder at all; a literal `{{` can still come from a field's value.
 * - Strings, numbers and booleans are inserted with `String(value)`, objects and arrays as JSON; a
 *   number a double cannot hold, or a minus zero, as the input wrote it (see jsonl-reader.ts).
 * - A missing or `null` value is an error (`{ missing: name }`), never an empty string: a prompt that
 *   silently lost its subject would be paid for and look fine.
 */
const PLACEHOLDER = /\{\{\s*([^{}\s](?:[^{}]*[^{}\s])?)\s*\}\}/g;

/** A placeholder starting exactly at `lastIndex`. */
const PLACEHOLDER_AT = new RegExp(PLACEHOLDER.source, 'y');
const EMPTY_AT = /\{\{\s*\}\}/y;
/** `{title}`: a placeholder written with single braces. */
const SINGLE_BRACED = /(?<!\{)\{\s*([A-Za-z_][\w .-]*?)\s*\}(?!\})/;

/** `column 11`, or `line 2, column 3` in a template of several lines (1-based). */
function positionOf(template: string, index: number): string {
  const before = template.slice(0, index);
  const line = before.split('\n').length;
  const column = index - before.lastIndexOf('\n');
  return line === 1 ? `column ${column}` : `line ${line}, column ${column}`;
}

/**
 * Why a template would send one literal text for every row, or undefined when it is sound: a `{{`
 * that opens no placeholder (a missing brace, `{{}}`), or no placeholder at all. Each would be paid
 * for once per row for the same answer, so the CLI refuses it before anything is sent.
 */
export function templateProblem(template: string): string | undefined {
  const brace = braceProblem(template);
  if (brace !== undefined) return brace;
  if (templateFields(template).length > 0) return undefined;
  const single = SINGLE_BRACED.exec(template);
  const hint = single
    ? `: ${single[0]} at ${positionOf(template, single.index)} needs double braces, {{${single[1]}}}`
    : ": put {{field}} where a row's value goes ({{prompt}} for a text line)";
  return `has no {{field}} placeholder, so every row would send the same prompt${hint}`;
}

/**
 * A `{{` that opens no placeholder (a missing brace, `{{}}`), or undefined. A --system text needs no
 * placeholder (one system message for every row is usual), but a typo in one would send it literally.
 */
export function braceProblem(template: string): string | undefined {
  for (const run of template.matchAll(/\{{2,}/g)) {
    // In a run of braces the placeholder starts at its last two (`{{{{x}}}}` is `{{x}}` in braces).
    const at = run.index + run[0].length - 2;
    PLACEHOLDER_AT.lastIndex = at;
    if (PLACEHOLDER_AT.test(template)) continue;
    EMPTY_AT.lastIndex = at;
    const empty = EMPTY_AT.exec(template);
    if (empty) return `has an empty placeholder ${empty[0]} at ${positionOf(template, at)}: put a field's name inside, e.g. {{title}}`;
    const rest = template.slice(at);
    const shown = rest.length > 24 ? `${rest.slice(0, 24)}…` : rest;
    return `has a "{{" at ${positionOf(template, at)} that opens no {{field}} placeholder (${JSON.stringify(shown)}): close it with "}}"`;
  }
  return undefined;
}

/** The distinct field names a template uses, in order of first use. */
export function templateFields(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names];
}

/** Fills a template from a row; the first missing or null field is reported instead of a text. */
export function renderTemplate(template: string, fields: Record<string, unknown>): { text: string } | { missing: string; isNull?: true } {
  let missing: string | undefined;
  let isNull = false;
  const text = template.replace(PLACEHOLDER, (whole: string, name: string) => {
    if (missing !== undefined) return whole;
    // Own keys only: a row must not be able to "have" `constructor` or `toString`.
    const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (value === undefined || value === null) {
      missing = name;
      isNull = value === null;
      return whole;
    }
    return formatValue(value);
  });
  if (missing === undefined) return { text };
  // "is null" in a row's error: the field is there (so not misspelt), its value is not.
  return isNull ? { missing, isNull: true } : { missing };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return keptNumberText(value) ?? stringifyExact(value);
  return String(value);
}
