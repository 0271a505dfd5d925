import type http from 'node:http';

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
 *
 * They log through `debug`, and http-proxy-agent's log includes the request's headers, key and
 * all; `DEBUG` is hidden while `debug` reads it, so no DEBUG setting can print the key.
 */
export async function createProxyAgent(target: URL, proxy: string): Promise<http.Agent> {
  const debugSetting = process.env.DEBUG;
  delete process.env.DEBUG;
  try {
    // Idle sockets close after 4 s, as the direct agents' do.
    const options = { keepAlive: true, timeout: 4000 };
    if (target.protocol === 'https:') {
      const { HttpsProxyAgent } = await import('https-proxy-agent');
      return new HttpsProxyAgent(proxy, options);
    }
    const { HttpProxyAgent } = await import('http-proxy-agent');
    return new HttpProxyAgent(proxy, options);
  } finally {
    if (debugSetting !== undefined) process.env.DEBUG = debugSetting;
  }
}
