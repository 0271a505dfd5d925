/**
 * Start-up cost checks that do not need a stopwatch:
 * - the STATIC import graph of the built entry points (relative imports followed, bare package
 *   imports and the packages bundled into each reached chunk collected), which must not reach the
 *   heavy packages;
 * - what a `--help` run actually resolves at run time, recorded by a module resolve hook (bundle
 *   chunks mapped to the packages inside them through esbuild's metafile).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { staticSpecifiers } from '../test/helpers/import-specifiers.js';
import { loadedPackages } from '../test/helpers/loaded-packages.js';
import { ROOT, runCli } from './harness.js';

/** Packages that only a real run needs; `--help` / `--version` must not load them. */
export const HEAVY_PACKAGES = ['openai', 'ora', 'cli-progress'] as const;

/** The package name of a bare specifier: 'openai/resources' → 'openai', '@a/b/c' → '@a/b'. */
function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export interface GraphReport {
  entry: string;
  /** Project files reached through static imports (relative to ROOT). */
  files: string[];
  /** Bare packages imported statically anywhere in that graph (node: builtins excluded). */
  packages: string[];
  /** For each heavy package found: the file importing it. */
  offenders: { pkg: string; from: string }[];
}

/** Follows the static relative imports of `entry` (a built .js file) and collects package imports. */
export function staticGraph(entry: string): GraphReport {
  const start = path.resolve(ROOT, entry);
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const stack = [start];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    let source: string;
    try {
      source = fs.readFileSync(file, 'utf8');
    } catch {
      throw new Error(`import graph: cannot read ${path.relative(ROOT, file)} (run npm run build first)`);
    }
    for (const pkg of loadedPackages([pathToFileURL(file).href], ROOT)) if (!packages.has(pkg)) packages.set(pkg, path.relative(ROOT, file));
    for (const spec of staticSpecifiers(source)) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.') || spec.startsWith('/')) {
        stack.push(path.resolve(path.dirname(file), spec));
        continue;
      }
      const pkg = packageName(spec);
      if (!packages.has(pkg)) packages.set(pkg, path.relative(ROOT, file));
    }
  }
  const offenders = HEAVY_PACKAGES.filter((p) => packages.has(p)).map((pkg) => ({ pkg, from: packages.get(pkg)! }));
  return {
    entry,
    files: [...seen].map((f) => path.relative(ROOT, f)).sort(),
    packages: [...packages.keys()].sort(),
    offenders,
  };
}

/**
 * Runs the CLI with a resolve hook (module.register) that appends every resolved URL to a log, and
 * returns the heavy packages among them. This catches what the static graph cannot: a dynamic
 * import that runs for `--help` anyway.
 */
export async function runtimeHeavyLoads(args: readonly string[]): Promise<{ loaded: string[]; modules: number; code: number | null }> {
  const log = path.join(os.tmpdir(), `llm-batch-bench-loads-${process.pid}-${Date.now()}.txt`);
  const hooks = [
    "import { appendFileSync } from 'node:fs';",
    `const LOG = ${JSON.stringify(log)};`,
    'export async function resolve(specifier, context, next) {',
    '  const r = await next(specifier, context);',
    "  appendFileSync(LOG, r.url + '\\n');",
    '  return r;',
    '}',
  ].join('\n');
  const register = ["import { register } from 'node:module';", `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`].join('\n');
  const preload = `data:text/javascript,${encodeURIComponent(register)}`;
  const bin = pathToFileURL(path.join(ROOT, 'bin', 'llm-batch.js')).href;
  try {
    const run = await runCli([], { command: [process.execPath, '--import', preload, path.join(ROOT, 'bin', 'llm-batch.js'), ...args], timeoutMs: 30_000 });
    let urls: string[] = [];
    try {
      urls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {
      // nothing resolved through the hook: the hook did not install
    }
    if (!urls.includes(bin)) {
      throw new Error(`import hook saw no load of ${bin} (exit ${run.code}): ${run.stderr.slice(0, 300)}`);
    }
    const packages = loadedPackages(urls, ROOT);
    const loaded = HEAVY_PACKAGES.filter((p) => packages.has(p));
    return { loaded: [...loaded], modules: new Set(urls).size, code: run.code };
  } finally {
    fs.rmSync(log, { force: true });
  }
}
