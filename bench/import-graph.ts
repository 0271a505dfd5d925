/**
 * Start-up cost checks that do not need a stopwatch:
 * - what the CLI's script runs as it loads: the modules esbuild left unwrapped in dist/bundle/cli.cjs
 *   (a module only some runs need is a function run on its first import), which must not include
 *   the heavy packages;
 * - what a `--help` run actually starts, from V8's coverage of the run (test/helpers/loaded-packages.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliModules, loadedPackages, moduleTraceEnv, packageOf } from '../test/helpers/loaded-packages.js';
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

/** The modules of dist/bundle/cli.cjs that run whenever it loads, and their packages. */
export function staticGraph(): GraphReport {
  const eager = cliModules(ROOT).eager.sort();
  const packages = new Map<string, string>();
  for (const file of eager) {
    const pkg = packageOf(file);
    if (pkg && !packages.has(pkg)) packages.set(pkg, file);
  }
  const offenders = HEAVY_PACKAGES.filter((p) => packages.has(p)).map((pkg) => ({ pkg, from: packages.get(pkg)! }));
  return { entry: 'dist/bundle/cli.cjs', files: eager, packages: [...packages.keys()].sort(), offenders };
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
