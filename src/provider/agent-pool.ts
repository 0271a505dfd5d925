import http from 'node:http';
import https from 'node:https';
import { createProxyAgent } from './proxy-agent.js';

export interface AgentPool {
  /** The agent for a URL's origin: direct, or through its proxy (a promise while that loads). */
  agentFor(url: URL): http.Agent | Promise<http.Agent>;
  /** Whether an agent tunnels through a proxy (its refusals need telling apart from the API's). */
  viaProxy(agent: http.Agent): boolean;
}

/**
 * Keep-alive agents shared by every request of a run, so both transports (the SDK's fetch and
 * the chat-completions one) reuse the same sockets. One agent per origin, decided on its first
 * request: a proxy from `proxyFor` (HTTPS_PROXY, NO_PROXY…), else a direct agent.
 */
export function createAgentPool(proxyFor?: (url: string) => string | undefined): AgentPool {
  // Idle sockets close after 4 s, as the built-in fetch's do: a server that drops idle connections
  // without saying when (no `Keep-Alive: timeout=`) would otherwise reset a reused one now and then.
  const direct = {
    'http:': new http.Agent({ keepAlive: true, timeout: 4000 }),
    'https:': new https.Agent({ keepAlive: true, timeout: 4000 }),
  };
  const byOrigin = new Map<string, http.Agent | Promise<http.Agent>>();
  // Every chat request asks with the same URL object: `url.origin` is a string built per call.
  let lastUrl: URL | undefined;
  let lastAgent: http.Agent | undefined;
  return {
    agentFor(url) {
      if (url === lastUrl) return lastAgent!;
      const known = byOrigin.get(url.origin);
      if (known) {
        if (!(known instanceof Promise)) [lastUrl, lastAgent] = [url, known];
        return known;
      }
      const proxy = proxyFor?.(url.href);
      if (!proxy) {
        const agent = direct[url.protocol as 'http:' | 'https:'];
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
  };
}

/** Redirects followed (307/308 only: they keep the method and body). */
export const MAX_REDIRECTS = 5;
/** Headers that carry the key: never sent on to another origin. */
export const CREDENTIALS = ['authorization', 'api-key', 'cookie', 'proxy-authorization'];
