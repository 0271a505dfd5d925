/**
 * Start-up cost checks that do not need a stopwatch:
 * - what the CLI's script runs as it loads: the modules esbuild left unwrapped in dist/bundle/cli.cjs
 *   (a module only some runs need is a function run on its first import) and bin/'s own imports,
 *   which must not include the heavy packages;
 * - what a `--help` run actually starts, from V8's coverage of the run (test/helpers/loaded-packages.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moduleTraceEnv, loadedPackages } from '../test/helpers/loaded-packages.js';
import { BIN, ROOT, runCli } from './harness.js';

/** Packages that only a real run needs; `--help` / `--version` must not load them. */
export const HEAVY_PACKAGES = ['openai', 'ora', 'cli-progress'] as const;

export interface GraphReport {
  entry: string;
  /** Modules the script runs as it loads (relative to ROOT, as the metafile names them). */
  files: string[];
  /** Packages among them. */
  packages: string[];
  /** For each heavy package found: one of its modules. */
  offenders: { pkg: string; from: string }[];
}

/** 'node_modules/@a/b/c.js' → '@a/b'; 'node_modules/a/c.js' → 'a'; the innermost package wins. */
function packageOf(file: string): string | undefined {
  const parts = file.split('/');
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 1 >= parts.length) return undefined;
  return parts[i + 1]!.startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
}

/** The modules of dist/bundle/cli.cjs that run whenever it loads, and their packages. */
export function staticGraph(): GraphReport {
  const entry = 'dist/bundle/cli.cjs';
  let meta: { outputs: Record<string, { inputs: Record<string, unknown> }> };
  let text: string;
  try {
    meta = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist/bundle/meta.json'), 'utf8'));
    text = fs.readFileSync(path.join(ROOT, entry), 'latin1');
  } catch {
    throw new Error(`startup graph: cannot read ${entry} and its metafile (run npm run build first)`);
  }
  const inputs = Object.keys(meta.outputs[entry]?.inputs ?? {});
  const eager = inputs.filter((input) => !text.includes(`"${input}"(`));
  const packages = new Map<string, string>();
  for (const file of eager) {
    const pkg = packageOf(file);
    if (pkg && !packages.has(pkg)) packages.set(pkg, file);
  }
  const offenders = HEAVY_PACKAGES.filter((p) => packages.has(p)).map((pkg) => ({ pkg, from: packages.get(pkg)! }));
  return { entry, files: eager.sort(), packages: [...packages.keys()].sort(), offenders };
}

/**
 * Runs the CLI with V8's coverage on and returns the heavy packages it started. This catches what
 * the script's layout cannot: an import() that runs for `--help` anyway.
 */
export async function runtimeHeavyLoads(args: readonly string[]): Promise<{ loaded: string[]; modules: number; code: number | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-bench-loads-'));
  try {
    const env = Object.entries(moduleTraceEnv(dir)).map(([k, v]) => `${k}=${v}`);
    const run = await runCli([], { command: ['env', ...env, process.execPath, BIN, ...args], timeoutMs: 30_000 });
    if (!fs.existsSync(dir) || fs.readdirSync(dir).length === 0)
      throw new Error(`no coverage written for ${args.join(' ')} (exit ${run.code}): ${run.stderr.slice(0, 300)}`);
    const packages = loadedPackages(dir, ROOT);
    const loaded = HEAVY_PACKAGES.filter((p) => packages.has(p));
    return { loaded: [...loaded], modules: packages.size, code: run.code };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
