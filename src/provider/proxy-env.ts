import { getProxyForUrl } from 'proxy-from-env';
import { UsageError } from '../errors.js';
import { describeProxy, isSupportedProxy } from './proxy-agent.js';
import { MIN_SECRET, type Secret } from '../redact.js';
import { OPENAI_V1 } from './openai-url.js';

export interface ProxySettings {
  /** The proxy for a request URL, or undefined to connect directly. */
  proxyFor: (url: string) => string | undefined;
  /** The proxy's credentials, for the redactor (see proxySecrets). */
  secrets: Secret[];
}

/** The variable proxy-from-env takes a URL's proxy from: `<scheme>_proxy`, else `all_proxy`, lower case first. */
function rawProxyFor(url: string): string | undefined {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  const env = process.env;
  const value = env[`${scheme}_proxy`] || env[`${scheme.toUpperCase()}_PROXY`] || env.all_proxy || env.ALL_PROXY;
  return value || undefined;
}

/**
 * The variable that set `url`'s proxy, as the user wrote it (`HTTPS_PROXY`, `http_proxy`…), and the
 * proxy's address without credentials: what a message about the proxy names.
 */
export function proxyNamedFor(url: string): { variable: string; shown: string } | undefined {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  const env = process.env;
  const variable = [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`, 'all_proxy', 'ALL_PROXY'].find((name) => env[name]);
  if (variable === undefined) return undefined;
  const raw = env[variable]!.trim();
  return { variable, shown: describeProxy(raw.includes('://') ? raw : `http://${raw}`) };
}

/**
 * A proxy's refusal (`the proxy refused…`, `the proxy asks for credentials…`) naming the proxy and the
 * variable that set it, without credentials: `the proxy http://proxy.corp:3128 (HTTPS_PROXY) …`.
 */
export function namingTheProxy(message: string, url: string): string {
  const named = proxyNamedFor(url);
  return named ? message.replace(/^the proxy\b/, `the proxy ${named.shown} (${named.variable})`) : message;
}

/**
 * Whether NO_PROXY lists `url`'s IPv6 address as curl and Go take it, without brackets (`::1`):
 * proxy-from-env matches only `[::1]`, and read `::1` as host `:` and port 1, so a
 * `localhost,127.0.0.1,::1` list sent requests to `http://[::1]:8000` through the proxy, the key
 * in the clear with them.
 */
function noProxyIpv6(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false; // not a URL (`mock`): proxy-from-env's to read
  }
  if (!host.startsWith('[')) return false;
  const list = process.env.no_proxy || process.env.NO_PROXY || '';
  return list.split(/[\s,]+/).some((entry) => {
    if (!entry.includes(':') || entry.startsWith('[')) return false;
    try {
      return new URL(`http://[${entry}]`).hostname === host;
    } catch {
      return false; // not an address (`host:port`): proxy-from-env's to read
    }
  });
}

/**
 * HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY (either case), read by proxy-from-env: NO_PROXY
 * lists hosts (`.example.com` or `*.example.com` for subdomains; no CIDR ranges). One correction: a
 * proxy given without a scheme (`HTTPS_PROXY=proxy:3128`) is plain http, as curl, Python and Go read
 * it; proxy-from-env would give it the target's scheme and speak TLS to it.
 * Checked against the base URL before anything is sent: a proxy we cannot speak to is a usage error.
 * Reads `process.env`, as proxy-from-env does.
 */
export function proxyFromEnv(baseURL: string | undefined): ProxySettings {
  const proxyFor = (url: string): string | undefined => {
    if (noProxyIpv6(url)) return undefined;
    const proxy = getProxyForUrl(url);
    if (!proxy) return undefined;
    const raw = rawProxyFor(url)?.trim();
    return raw && !raw.includes('://') ? `http://${raw}` : proxy;
  };
  const target = baseURL ?? OPENAI_V1;
  const proxy = proxyFor(target);
  if (proxy === undefined) return { proxyFor, secrets: [] };
  if (!isSupportedProxy(proxy)) {
    throw new UsageError(
      `the proxy set for ${new URL(target).host} (HTTPS_PROXY, HTTP_PROXY or ALL_PROXY) is ${describeProxy(proxy)}: ` +
        `only http:// and https:// proxies are supported; list the host in NO_PROXY to connect directly`,
    );
  }
  const { username, password } = new URL(proxy);
  const decoded = [username, password].map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new UsageError(`the proxy URL for ${new URL(target).host} has a "%" in its credentials that is not an escape: write it as %25`);
    }
  });
  return { proxyFor, secrets: proxySecrets(username, password, decoded[0]!, decoded[1]!) };
}

/**
 * What a proxy's 407 page or a trace may repeat of its credentials, raw and decoded: the password,
 * as a secret however short, and the Basic header's base64 of `user:password` (what the agent sends,
 * from the decoded parts; without its `=` padding, which an echo may drop). A password under 4
 * characters is not scrubbed alone (see Password): `user:password` stands for it. The user name is
 * a name, scrubbed as a key is; alone (`http://TOKEN@proxy`) it is the credential. Each secret costs
 * every message and answer a little more redacting, so the list is no longer than that.
 */
function proxySecrets(username: string, password: string, user: string, pass: string): Secret[] {
  if (username === '' && password === '') return [];
  const basic = Buffer.from(`${user}:${pass}`).toString('base64').replace(/=+$/, '');
  const names = password === '' ? [] : [username, user];
  const shown = password === '' ? [username, user] : [password, pass];
  const paired = shown.some((s) => s.length < MIN_SECRET) ? [`${username}:${password}`, `${user}:${pass}`] : [];
  const distinct = (list: string[]) => [...new Set(list)].filter((s) => s.length > 0);
  return [...distinct(names), ...distinct([...shown, ...paired, basic]).map((p) => ({ password: p }))];
}
