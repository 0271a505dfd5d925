import type http from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';

// Not named `require`: the bundle's banner declares that name in every chunk.
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
