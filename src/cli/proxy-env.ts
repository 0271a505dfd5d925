import { getProxyForUrl } from 'proxy-from-env';
import { UsageError } from '../errors.js';
import { describeProxy, isSupportedProxy } from '../provider/proxy-agent.js';

const PROXY_VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'];

export interface ProxySettings {
  /** The proxy for a request URL, or undefined to connect directly. */
  proxyFor: (url: string) => string | undefined;
  /** The proxy's credentials, for the redactor. */
  secrets: string[];
}

/**
 * HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (either case), read by proxy-from-env. One
 * correction: a proxy given without a scheme (`HTTPS_PROXY=proxy:3128`) is plain http, as curl,
 * Python and Go read it; proxy-from-env would give it the target's scheme and speak TLS to it.
 * Checked against the base URL before anything is sent: a proxy we cannot speak to is a usage error.
 * Reads `process.env`, as proxy-from-env does.
 */
export function proxyFromEnv(baseURL: string | undefined): ProxySettings {
  const schemeless = PROXY_VARIABLES.map((name) => process.env[name]?.trim()).filter((v): v is string => !!v && !v.includes('://'));
  const proxyFor = (url: string): string | undefined => {
    const proxy = getProxyForUrl(url);
    if (!proxy) return undefined;
    const scheme = proxy.slice(0, proxy.indexOf('://'));
    const bare = schemeless.find((v) => proxy === `${scheme}://${v}`);
    return bare ? `http://${bare}` : proxy;
  };
  const target = baseURL ?? 'https://api.openai.com/v1';
  const proxy = proxyFor(target);
  if (proxy === undefined) return { proxyFor, secrets: [] };
  if (!isSupportedProxy(proxy)) {
    throw new UsageError(
      `the proxy set for ${new URL(target).host} (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is ${describeProxy(proxy)}: ` +
        `only http:// and https:// proxies are supported; list the host in NO_PROXY to connect directly`,
    );
  }
  const { username, password } = new URL(proxy);
  const secrets = [password, decodeURIComponent(password), username && password ? `${username}:${password}` : ''].filter((s) => s.length > 0);
  return { proxyFor, secrets };
}
