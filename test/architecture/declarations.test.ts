/**
 * The library's declarations (dist/index.d.ts and every .d.ts it reaches) may name only packages a
 * user gets with llm-batch: its `dependencies`, or Node's own modules. The code is bundled, so a
 * devDependency's types (Ajv's `ErrorObject`, say) named in a declaration left a library user with
 * "Cannot find module 'ajv'" unless they skip library checks. Reads the built tree: `npm run build`.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamicSpecifiers, staticSpecifiers } from '../helpers/import-specifiers.js';
import { ROOT } from '../helpers/run-cli.js';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; types: string };

/** Every bare specifier the declarations reachable from `entry` name, with the first file naming it. */
function namedPackages(entry: string): Map<string, string> {
  const named = new Map<string, string>();
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const specifier of [...staticSpecifiers(source), ...dynamicSpecifiers(source)]) {
      if (specifier.startsWith('.')) todo.push(path.join(path.dirname(file), specifier.replace(/\.js$/, '.d.ts')));
      else if (!named.has(specifier)) named.set(specifier, path.relative(ROOT, file));
    }
  }
  expect(seen.size).toBeGreaterThan(20);
  return named;
}

/** `ajv/dist/2019.js` is of `ajv`; `@scope/pkg/x` of `@scope/pkg`. */
const packageOf = (specifier: string): string =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

describe("the library's declarations", () => {
  it('name only runtime dependencies and Node built-ins', () => {
    const allowed = new Set([...Object.keys(pkg.dependencies ?? {}), ...builtinModules]);
    const strays = [...namedPackages(path.join(ROOT, pkg.types))]
      .filter(([specifier]) => !specifier.startsWith('node:') && !allowed.has(packageOf(specifier)))
      .map(([specifier, file]) => `${specifier} (in ${file})`);
    expect(strays).toEqual([]);
  });
});
