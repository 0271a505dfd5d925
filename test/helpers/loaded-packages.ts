import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Environment that makes a CLI process record the functions it ran, in `dir` at its exit (V8's
 * coverage: NODE_V8_COVERAGE), for {@link loadedPackages}. The CLI's code cache is off for it: a
 * cache would be made with coverage's counters in its code.
 */
export function moduleTraceEnv(dir: string): Record<string, string> {
  fs.rmSync(dir, { recursive: true, force: true });
  return { NODE_V8_COVERAGE: dir, NODE_DISABLE_COMPILE_CACHE: '1' };
}

interface Coverage {
  result: { url: string; functions: { functionName: string; ranges: { count: number }[] }[] }[];
}

/**
 * The npm packages a process traced with {@link moduleTraceEnv} started. The CLI runs from one
 * esbuild script (dist/bundle/cli.cjs) in which a module a run may not need is a function named for
 * its source file (`"node_modules/ora/index.js"() {…}`), run when it is first imported: a package is
 * loaded when one of its modules' functions ran, or when one of its modules is no such function (run
 * with the script). A script under node_modules (a package left external) stands for itself, and the
 * tokenizer's script (dist/bundle/tokenizer.cjs) for what the metafile says it holds.
 */
export function loadedPackages(dir: string, root: string): Set<string> {
  const { outputs, wrapped, eager } = cliModules(root);
  const found = new Set<string>();
  const add = (file: string) => {
    const pkg = packageOf(file);
    if (pkg) found.add(pkg);
  };
  for (const name of fs.readdirSync(dir)) {
    const coverage = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Coverage;
    for (const script of coverage.result) {
      if (script.url.startsWith('node:')) continue;
      const file = script.url.startsWith('file:') ? fileURLToPath(script.url) : script.url;
      if (!path.isAbsolute(file)) continue;
      const rel = path.relative(root, file).split(path.sep).join('/');
      if (rel === 'dist/bundle/cli.cjs') {
        for (const input of eager) add(input);
        for (const fn of script.functions) if (fn.ranges[0]!.count > 0 && wrapped.has(fn.functionName)) add(fn.functionName);
      } else if (outputs.has(rel)) {
        for (const input of outputs.get(rel)!) add(input);
      } else add(file);
    }
  }
  return found;
}

/**
 * The modules of the CLI's script: `wrapped`, each a function named for its source file and run on
 * its first import; `eager`, the rest, run as the script loads; and every output's inputs.
 */
export function cliModules(root: string): { outputs: Map<string, string[]>; wrapped: Set<string>; eager: string[] } {
  const outputs = readBundleOutputs(root);
  const inputs = outputs.get('dist/bundle/cli.cjs') ?? [];
  const text = fs.readFileSync(path.join(root, 'dist', 'bundle', 'cli.cjs'), 'latin1');
  const keys = new Set([...text.matchAll(/"([^"\s]+)"\(/g)].map((m) => m[1]!));
  const wrapped = new Set(inputs.filter((input) => keys.has(input)));
  return { outputs, wrapped, eager: inputs.filter((input) => !wrapped.has(input)) };
}

/** Output file (relative to root, '/'-separated) → the input files bundled into it. */
function readBundleOutputs(root: string): Map<string, string[]> {
  const metaFile = path.join(root, 'dist', 'bundle', 'meta.json');
  let meta: { outputs: Record<string, { inputs: Record<string, unknown> }> };
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${metaFile} (run npm run build first): ${String(err)}`);
  }
  return new Map(Object.entries(meta.outputs).map(([out, o]) => [out, Object.keys(o.inputs)]));
}

/** 'x/node_modules/@a/b/c.js' → '@a/b'; 'x/node_modules/a/c.js' → 'a'; the innermost package wins. */
export function packageOf(file: string): string | undefined {
  const parts = file.split(/[\\/]/);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 1 >= parts.length) return undefined;
  return parts[i + 1]!.startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
}
