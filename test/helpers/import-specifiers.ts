/**
 * Static `import ... from 'x'`, `export ... from 'x'` and side-effect `import 'x'` (multi-line
 * forms and `import type` included). Dynamic `import('x')` is not matched: see `dynamicSpecifiers`.
 */
const STATIC_IMPORT_RE = /^[ \t]*(?:import|export)\b(?:[^'"`;()]*?\bfrom\b)?\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Drops comments, so an example import in a doc comment does not count. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** The specifiers a module imports when it loads. */
export function staticSpecifiers(source: string): string[] {
  return [...stripComments(source).matchAll(STATIC_IMPORT_RE)].map((m) => m[1]!);
}

/** The specifiers a module imports later, with `import('x')` (deferred loading). */
export function dynamicSpecifiers(source: string): string[] {
  return [...stripComments(source).matchAll(DYNAMIC_IMPORT_RE)].map((m) => m[1]!);
}
