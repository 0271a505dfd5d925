import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { importModule } from '../util/import-module.js';

/** The proxy schemes the agents below speak. */
export function isSupportedProxy(proxy: string): boolean {
  return URL.canParse(proxy) && /^https?:$/.test(new URL(proxy).protocol);
}

/** A proxy URL fit for a message: scheme, host and port, never its credentials. */
export function describeProxy(proxy: string): string {
  if (!URL.canParse(proxy)) return 'an unparsable URL';
  const u = new URL(proxy);
  return `${u.protocol}//${u.host}`;
}

/**
 * An agent that reaches `target`'s origin through `proxy`: a CONNECT tunnel for https targets (the
 * key stays inside TLS), absolute-form requests for http ones, as curl does. Loaded on first use:
 * a run without a proxy never loads these packages.
 */
export async function createProxyAgent(target: URL, proxy: string): Promise<http.Agent> {
  // Idle sockets close after 4 s, as the direct agents' do.
  const options = { keepAlive: true, timeout: 4000 };
  if (target.protocol === 'https:') {
    const { HttpsProxyAgent } = await quietImport<typeof import('https-proxy-agent')>('https-proxy-agent');
    return new HttpsProxyAgent(proxy, options);
  }
  const { HttpProxyAgent } = await quietImport<typeof import('http-proxy-agent')>('http-proxy-agent');
  return new HttpProxyAgent(proxy, options);
}

/** What of `debug`, the agents' logger, is used here: its hook on every logger it makes. */
interface Debug {
  init?: (logger: { namespace: string; enabled: boolean }) => void;
}

/**
 * An agent package with its `debug` loggers switched off. http-proxy-agent logs each request's
 * headers, key and all, and both log the proxy's URL, password and all; `debug` prints what DEBUG
 * enables, read once when `debug` first loads, maybe by the host app before us (hiding DEBUG while
 * we load did nothing then, and lost the app's setting when we loaded `debug` first). Each logger
 * the package makes is disabled through debug's own `enabled` setter, which no DEBUG setting or
 * `debug.enable(…)` overrides; the package is loaded as a module of our own (its URL with a query),
 * so that an app that loaded it first keeps its copy, and ours still gets its loggers made here.
 */
function quietImport<T>(name: AgentPackage): Promise<T> {
  let loading = imports.get(name);
  if (!loading) {
    // One at a time: each puts debug's hook back as it found it.
    loading = lastImport.then(() => importQuietly(name));
    imports.set(name, loading);
    lastImport = loading.catch(() => {});
  }
  return loading as Promise<T>;
}

type AgentPackage = 'http-proxy-agent' | 'https-proxy-agent';

const imports = new Map<AgentPackage, Promise<unknown>>();
let lastImport: Promise<unknown> = Promise.resolve();

async function importQuietly(name: AgentPackage): Promise<unknown> {
  const file = createRequire(import.meta.url).resolve(name);
  // The `debug` the package imports, loaded as its import loads it (by its real path, as `import` goes).
  const debugFile = fs.realpathSync(createRequire(file).resolve('debug'));
  const debug = (await importModule<{ default: Debug }>(pathToFileURL(debugFile).href)).default;
  const init = debug.init;
  debug.init = (logger) => {
    init?.(logger);
    if (logger.namespace.startsWith(name)) logger.enabled = false;
  };
  try {
    return await importModule(`${pathToFileURL(file).href}?llm-batch`);
  } finally {
    debug.init = init;
  }
}
