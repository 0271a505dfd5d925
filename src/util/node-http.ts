import type http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';

// Not named `require`: the CLI's script has CommonJS's own, which resolves from dist/bundle/ too.
const requireBuiltin = createRequire(import.meta.url);

/**
 * node:http through `require`, not `import`: an ESM import makes node ≥ 22 build the module's ESM
 * facade, which reads every export, and its lazy `WebSocket`/`EventSource` ones load node's own
 * bundled undici: ~35 ms of CPU per run on node 22 and 24 (bench/results/2026-11-30-startup-s8.md).
 */
export function nodeHttp(): typeof http {
  return requireBuiltin('node:http') as typeof http;
}

/** node:https, on first use: it loads tls (~15–20 ms), which a run against an http:// server never needs. */
export function nodeHttps(): typeof https {
  return requireBuiltin('node:https') as typeof https;
}

/** node's own default for --max-http-header-size. */
const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;

/**
 * node:http's `maxHeaderSize` (node's --max-http-header-size, from NODE_OPTIONS or the command
 * line, the latter winning) without loading node:http: ~11 ms of CPU in a run that has set a V8
 * flag, which makes node compile its http modules from source (src/cli/main.ts).
 */
export function maxHeaderSize(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): number {
  const args = [...nodeOptions.split(/\s+/), ...execArgv];
  let size = DEFAULT_MAX_HEADER_SIZE;
  for (let i = 0; i < args.length; i++) {
    const m = /^--max-http-header-size(?:=(.*))?$/.exec(args[i]!);
    if (!m) continue;
    const value = Number(m[1] ?? args[i + 1]);
    if (Number.isInteger(value) && value > 0) size = value;
  }
  return size;
}
