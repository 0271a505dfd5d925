import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { createProxyAgent } from './proxy-agent.js';
import type { DirectDispatcher } from './direct-dispatcher.js';
import { addressSpaceLimited } from '../util/address-space.js';
import { nodeHttp, nodeHttps } from '../util/node-http.js';

export interface AgentPool {
  /** The agent for a URL's origin: direct, or through its proxy (a promise while that loads). */
  agentFor(url: URL): http.Agent | Promise<http.Agent>;
  /** Whether an agent tunnels through a proxy (its refusals need telling apart from the API's). */
  viaProxy(agent: http.Agent): boolean;
  /**
   * undici's connection pool for a URL's origin when it is reached directly (a promise while undici
   * loads), else undefined: through a proxy, or under `ulimit -v` (see address-space.ts),
   * the node:http agents carry chat completions too.
   */
  dispatcherFor(url: URL): Dispatcher | Promise<Dispatcher | undefined> | undefined;
  /**
   * Closes every connection, idle or still opening: a run's end does not wait on a socket (one
   * still connecting to a host that never answers would hold the process for minutes).
   */
  close(): Promise<void>;
}

/**
 * Keep-alive agents shared by every request of a run, so both transports (the SDK's fetch and
 * the chat-completions one) reuse the same sockets. One agent per origin, decided on its first
 * request: a proxy from `proxyFor` (HTTPS_PROXY, NO_PROXY…), else a direct agent.
 */
export function createAgentPool(proxyFor?: (url: string) => string | undefined, connections?: number): AgentPool {
  // Made on first use: node:https (and tls) loads only for an https origin reached without undici.
  const direct: { 'http:'?: http.Agent; 'https:'?: http.Agent } = {};
  const directAgent = (protocol: 'http:' | 'https:'): http.Agent =>
    (direct[protocol] ??= new (idleClosing(protocol === 'https:' ? nodeHttps().Agent : nodeHttp().Agent))({ keepAlive: true }));
  const byOrigin = new Map<string, http.Agent | Promise<http.Agent>>();
  // Every chat request asks with the same URL object: `url.origin` is a string built per call.
  let lastUrl: URL | undefined;
  let lastAgent: http.Agent | undefined;
  // Per origin: undici's pool, a promise while undici loads, or undefined (proxied, or no undici).
  const directs = new Map<string, DirectDispatcher | Promise<DirectDispatcher | undefined> | undefined>();
  // Loaded on the first direct request only: --mock, --trace and the Batch API never parse with it.
  let undici: Promise<typeof import('./direct-dispatcher.js') | undefined> | undefined;
  const openDirect = (origin: string): Promise<DirectDispatcher | undefined> => {
    undici ??= addressSpaceLimited() ? Promise.resolve(undefined) : import('./direct-dispatcher.js').catch(() => undefined);
    return undici.then((m) => {
      const direct = m?.createDirectDispatcher(origin, connections);
      directs.set(origin, direct);
      lastDispatchUrl = undefined;
      return direct;
    });
  };
  let lastDispatchUrl: URL | undefined;
  let lastDispatcher: Dispatcher | Promise<Dispatcher | undefined> | undefined;
  return {
    dispatcherFor(url) {
      if (url === lastDispatchUrl) return lastDispatcher;
      const origin = url.origin;
      let found = directs.get(origin);
      if (found === undefined && !directs.has(origin)) {
        found = proxyFor?.(url.href) ? undefined : openDirect(origin);
        directs.set(origin, found);
      }
      const dispatcher = found instanceof Promise ? found.then((d) => d?.dispatcher) : found?.dispatcher;
      [lastDispatchUrl, lastDispatcher] = [url, dispatcher];
      return dispatcher;
    },
    agentFor(url) {
      if (url === lastUrl) return lastAgent!;
      const known = byOrigin.get(url.origin);
      if (known) {
        if (!(known instanceof Promise)) [lastUrl, lastAgent] = [url, known];
        return known;
      }
      const proxy = proxyFor?.(url.href);
      if (!proxy) {
        const agent = directAgent(url.protocol as 'http:' | 'https:');
        byOrigin.set(url.origin, agent);
        return agent;
      }
      const loading = createProxyAgent(url, proxy);
      byOrigin.set(url.origin, loading);
      loading.then(
        (agent) => byOrigin.set(url.origin, agent),
        () => byOrigin.delete(url.origin),
      );
      return loading;
    },
    viaProxy: (agent) => agent !== direct['http:'] && agent !== direct['https:'],
    async close() {
      // Pools still loading finish first, so that they are closed too.
      const closing = (await Promise.all(directs.values())).map((direct) => direct?.close().catch(() => {}));
      for (const agent of byOrigin.values()) if (!(agent instanceof Promise)) agent.destroy();
      direct['http:']?.destroy();
      direct['https:']?.destroy();
      await Promise.all(closing);
    },
  };
}

/**
 * Idle sockets close after 4 s, as the built-in fetch's do: a server that drops idle connections
 * without saying when (no `Keep-Alive: timeout=`) would otherwise reset a reused one now and then.
 * A `Keep-Alive: timeout=N` shorter than that wins, as node's agent has it.
 *
 * Only while a socket is idle in the pool: node's `timeout` agent option also times sockets in use,
 * which cost every request a timeout listener and every chunk read a timer refresh (issue 16);
 * a socket in use is watched by the attempt's own deadlines (--timeout, --idle-timeout).
 */
const FREE_SOCKET_TIMEOUT_MS = 4000;

function idleTimeoutFor(socket: Socket): number {
  const hint = (socket as { _httpMessage?: { res?: http.IncomingMessage } })._httpMessage?.res?.headers['keep-alive'];
  const seconds = hint ? /^timeout=(\d+)/.exec(String(hint))?.[1] : undefined;
  // node's agent lets the timer expire a second before the announced timeout.
  return seconds === undefined ? FREE_SOCKET_TIMEOUT_MS : Math.min(FREE_SOCKET_TIMEOUT_MS, Number(seconds) * 1000 - 1000);
}

/** Node's agent, with a pooled socket timed out only while it waits idle in the pool. */
// biome-ignore lint/suspicious/noExplicitAny: TypeScript requires any[] in a mixin constructor.
function idleClosing<Base extends new (...args: any[]) => http.Agent>(base: Base) {
  return class extends base {
    override keepSocketAlive(socket: Socket): boolean {
      // Typed void in @types/node; node's agent returns whether the socket may be kept.
      const keep = super.keepSocketAlive(socket) as unknown as boolean;
      if (keep) socket.setTimeout(idleTimeoutFor(socket));
      return keep;
    }
    override reuseSocket(socket: Socket, request: http.ClientRequest): void {
      socket.setTimeout(0);
      super.reuseSocket(socket, request);
    }
  };
}

/** Redirects followed (307/308 only: they keep the method and body). */
export const MAX_REDIRECTS = 5;
/** Headers that carry the key: never sent on to another origin. */
export const CREDENTIALS = ['authorization', 'api-key', 'cookie', 'proxy-authorization'];
