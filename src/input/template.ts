/**
 * Prompt templates: plain text with `{{name}}` placeholders; whitespace inside the braces is allowed
 * (`{{ name }}`, and names may contain inner spaces, e.g. `{{first name}}` for a CSV column).
 *
 * Deliberately minimal, so that there is nothing to learn or to get wrong:
 * - A name is looked up as a literal own key of the row: `{{a.b}}` means the key "a.b", not a path.
 * - No escaping and no special cases: braces that do not form a placeholder (`{{`, `{{ }}`, `}}`) are kept
 *   as they are, and `{{{{x}}}}` is just the placeholder `{{x}}` with literal braces around it.
 * - Strings, numbers and booleans are inserted with `String(value)`, objects and arrays as JSON.
 * - A missing or `null` value is an error (`{ missing: name }`), never an empty string: a prompt that
 *   silently lost its subject would be paid for and look fine.
 */
const PLACEHOLDER = /\{\{\s*([^{}\s](?:[^{}]*[^{}\s])?)\s*\}\}/g;

/** The distinct field names a template uses, in order of first use. */
export function templateFields(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match[1] !== undefined) names.add(match[1]);
  }
  return [...names];
}

/** Fills a template from a row; the first missing or null field is reported instead of a text. */
export function renderTemplate(template: string, fields: Record<string, unknown>): { text: string } | { missing: string } {
  let missing: string | undefined;
  const text = template.replace(PLACEHOLDER, (whole: string, name: string) => {
    if (missing !== undefined) return whole;
    // Own keys only: a row must not be able to "have" `constructor` or `toString`.
    const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (value === undefined || value === null) {
      missing = name;
      return whole;
    }
    return formatValue(value);
  });
  return missing === undefined ? { text } : { missing };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
