/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY, end to end: the built CLI through an in-repo forward proxy to
 * the mock server (plain http, and https through a CONNECT tunnel with a test certificate).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { startProxyServer, type ProxyServer } from '../helpers/proxy-server.js';
import { parseJsonl, ROOT, runCli, SECRET_KEY, tempDir } from '../helpers/run-cli.js';

const TLS_DIR = path.join(ROOT, 'test', 'helpers', 'tls');
const TLS = { key: fs.readFileSync(path.join(TLS_DIR, 'key.pem')), cert: fs.readFileSync(path.join(TLS_DIR, 'cert.pem')) };
/** The child trusts the test certificate the way a user trusts a corporate CA. */
const TRUST = { NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, 'cert.pem') };
const PROMPTS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
const STDIN = `${PROMPTS.join('\n')}\n`;
const NO_PROXY_VARS = { HTTPS_PROXY: undefined, HTTP_PROXY: undefined, ALL_PROXY: undefined, NO_PROXY: undefined };

/** A mock and a proxy, closed when the test ends (tests run concurrently: no shared hooks). */
async function servers(
  ctx: TestContext,
  options: { tls?: boolean; credentials?: string; refuseConnect?: number; echoCredentials?: boolean } = {},
): Promise<{ mock: MockServer; proxy: ProxyServer }> {
  const mock = await startMockServer({ apiKey: SECRET_KEY, tls: options.tls ? TLS : undefined });
  const { credentials, refuseConnect, echoCredentials } = options;
  const proxy = await startProxyServer({ credentials, refuseConnect, echoCredentials });
  ctx.onTestFinished(() => Promise.all([mock.close(), proxy.close()]).then(() => {}));
  return { mock, proxy };
}

function scratch(ctx: TestContext): string {
  const { dir, cleanup } = tempDir();
  ctx.onTestFinished(cleanup);
  return dir;
}

function expectAllAnswered(stdout: string): void {
  const rows = parseJsonl<{ prompt: string; response: string | null; error: unknown }>(stdout);
  expect(rows.map((r) => r.prompt).sort()).toEqual([...PROMPTS].sort());
  for (const row of rows) {
    expect(row.error).toBeNull();
    expect(row.response).toBe(`ECHO ${row.prompt}`);
  }
}

describe.concurrent('proxies from the environment', () => {
  it('sends http requests through HTTP_PROXY (lower case too), and the key to no output, even with DEBUG=*', async (ctx) => {
    const { mock, proxy } = await servers(ctx);
    // DEBUG=* would make http-proxy-agent log each request's headers, Authorization included.
    const r = await runCli(['-', '--base-url', mock.url, '-c', '2'], { stdin: STDIN, env: { ...NO_PROXY_VARS, http_proxy: proxy.url, DEBUG: '*' } });
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(r.code).toBe(0);
    expectAllAnswered(r.stdout);
    expect(proxy.log).toHaveLength(PROMPTS.length);
    for (const entry of proxy.log) expect(entry).toMatchObject({ method: 'POST', target: `${mock.url}/chat/completions` });
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });

  it('connects directly to a host listed in NO_PROXY', async (ctx) => {
    const { mock, proxy } = await servers(ctx);
    const r = await runCli(['-', '--base-url', mock.url], { stdin: STDIN, env: { ...NO_PROXY_VARS, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
    expect(r.code).toBe(0);
    expectAllAnswered(r.stdout);
    expect(proxy.log).toHaveLength(0);
    expect(mock.requests).toHaveLength(PROMPTS.length);
  });

  it('reaches an https API directly, trusting NODE_EXTRA_CA_CERTS; without it, fails naming the certificate', async (ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true });
    const trusted = await runCli(['-', '--base-url', mock.url, '-c', '2'], { stdin: STDIN, env: { ...NO_PROXY_VARS, ...TRUST } });
    expect(trusted.code).toBe(0);
    expectAllAnswered(trusted.stdout);
    expect(mock.requests).toHaveLength(PROMPTS.length);
    const untrusted = await runCli(['-', '--base-url', mock.url, '--retries', '0'], {
      stdin: 'one\n',
      env: { ...NO_PROXY_VARS, NODE_EXTRA_CA_CERTS: undefined },
    });
    expect(untrusted.code).not.toBe(0);
    expect(parseJsonl(untrusted.stdout)[0]).toMatchObject({ error: { type: 'connection', message: expect.stringContaining('SELF_SIGNED') } });
    expect(proxy.log).toHaveLength(0);
  });

  it('a direct https API whose TLS handshake never completes: --timeout ends each attempt, and the run exits', async (ctx) => {
    // Accepts the connection and says nothing: undici never gets a connection to send on.
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    ctx.onTestFinished(() => {
      silent.close();
    });
    const port = (silent.address() as net.AddressInfo).port;
    const r = await runCli(['-', '--base-url', `https://127.0.0.1:${port}/v1`, '-c', '2', '--timeout', '1', '--retries', '0'], {
      stdin: 'one\ntwo\n',
      env: { ...NO_PROXY_VARS, ...TRUST },
      timeoutMs: 20_000,
    });
    expect(r.signal, 'killed by the test: the run hung').toBeNull();
    expect(r.code).toBe(1);
    const rows = parseJsonl(r.stdout);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.error).toMatchObject({ type: 'timeout' });
  });

  it('tunnels https through HTTPS_PROXY with CONNECT, one kept-alive tunnel per slot; a proxy given without a scheme is plain http', async (ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true });
    expect(mock.url).toMatch(/^https:/);
    const bare = proxy.url.replace('http://', '');
    const r = await runCli(['-', '--base-url', mock.url, '-c', '2'], { stdin: STDIN, env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: bare } });
    expect(r.code).toBe(0);
    expectAllAnswered(r.stdout);
    expect(proxy.log.length).toBeGreaterThanOrEqual(1);
    expect(proxy.log.length).toBeLessThanOrEqual(2);
    for (const entry of proxy.log) expect(entry).toMatchObject({ method: 'CONNECT', target: `127.0.0.1:${mock.port}`, allowed: true });
    expect(mock.requests).toHaveLength(PROMPTS.length);
  });

  it('gives the proxy the credentials in its URL', async (ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true, credentials: 'me:pa ss' });
    const url = proxy.url.replace('http://', 'http://me:pa%20ss@');
    const r = await runCli(['-', '--base-url', mock.url], { stdin: STDIN, env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: url } });
    expect(r.code).toBe(0);
    expectAllAnswered(r.stdout);
    expect(proxy.log.every((e) => e.allowed)).toBe(true);
  });

  it.for([
    [
      'refuses its credentials (407)',
      { credentials: 'me:right-password' },
      /the proxy http:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY\) asks for credentials it was not given or refused \(HTTP 407\)/,
    ],
    ['refuses the tunnel (403)', { refuseConnect: 403 }, /the proxy http:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY\) refused to connect to .* \(HTTP 403\)/],
  ] as const)('--batch-api: a proxy that %s stops at once as a live run, exit 2, "stopped": "proxy", the resume command', async ([, options, said], ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true, ...options });
    const dir = scratch(ctx);
    const out = path.join(dir, 'batch.jsonl');
    const summary = path.join(dir, 'batch.summary.json');
    const url = proxy.url.replace('http://', 'http://me:wrong-password-1234@');
    const r = await runCli(['-', '--base-url', mock.url, '-o', out, '--batch-api', '--poll', '0.05', '--no-cache', '--summary-json', summary], {
      stdin: STDIN,
      env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: url },
      timeoutMs: 30_000,
    });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(said);
    expect(r.stderr).toMatch(/check HTTPS_PROXY \/ HTTP_PROXY \(host, credentials\) and NO_PROXY/);
    expect(r.stderr).toMatch(/when that is fixed, run: llm-batch .*--resume/);
    expect(r.stderr).not.toMatch(/API key/);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'proxy', exitCode: 2 });
    expect(r.stdout + r.stderr).not.toContain('wrong-password-1234');
  });

  it('stops at once with exit 2 when the proxy refuses its credentials (407), naming neither the password nor the key', async (ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true, credentials: 'me:right-password' });
    const dir = scratch(ctx);
    const out = path.join(dir, 'out.jsonl');
    const url = proxy.url.replace('http://', 'http://me:wrong-password-1234@');
    const r = await runCli(['-', '--base-url', mock.url, '-o', out], { stdin: STDIN, env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: url } });
    expect(r.code).toBe(2);
    // Named as the user set it, without the credentials.
    expect(r.stderr).toContain(`the proxy ${proxy.url} (HTTPS_PROXY) asks for credentials it was not given or refused (HTTP 407); check HTTPS_PROXY`);
    expect(r.stderr).not.toMatch(/API key/);
    expect(mock.requests).toHaveLength(0);
    expect(proxy.log.length).toBeLessThanOrEqual(8); // the first wave at most, not one per prompt and retry
    const written = fs
      .readdirSync(dir)
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    for (const text of [r.stdout, r.stderr, written]) {
      expect(text).not.toContain('wrong-password-1234');
      expect(text).not.toContain(SECRET_KEY);
    }
  });

  it.for([
    ['a short password with no digit', 'bob', 'SECRETPW', 'bob:[redacted] (Basic [redacted])'],
    ['a password with a digit', 'bob', 'S3CRETPW', 'bob:[redacted] (Basic [redacted])'],
    ['a password of 2 characters', 'bob', 'pw', '[redacted] (Basic [redacted])'],
    ['a token as the user name alone', 'TOKEN1', '', '[redacted]: (Basic [redacted]==)'], // `=` padding tells nothing
  ] as const)(
    'a 407 page that repeats the credentials, %s: the trace and stderr show neither them nor their Basic form',
    async ([, user, password, shown], ctx) => {
      const { mock, proxy } = await servers(ctx, { tls: true, echoCredentials: true });
      const trace = path.join(scratch(ctx), 't.log');
      const url = proxy.url.replace('http://', `http://${user}${password ? `:${password}` : ''}@`);
      const r = await runCli(['-', '--base-url', mock.url, '--trace', trace], { stdin: 'one\n', env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: url } });
      expect(r.code, r.stderr).toBe(2);
      const basic = Buffer.from(`${user}:${password}`).toString('base64');
      expect(proxy.log[0]?.proxyAuthorization).toBe(`Basic ${basic}`);
      const logged = fs.readFileSync(trace, 'utf8');
      expect(logged).toMatch(/^#1 < x-echo: Basic \[redacted\]=*$/m);
      expect(logged).toContain(`\n#1 < Access denied for ${shown}\n`);
      for (const text of [logged, r.stderr, r.stdout]) {
        expect(text).not.toContain(basic.replace(/=+$/, ''));
        expect(text).not.toContain(`${user}:${password}`);
        if (password.length >= 4) expect(text).not.toContain(password);
      }
    },
  );

  it('a proxy that refuses the tunnel (403, a blocked host) stops the run: exit 2, one line blaming the proxy, not the key', async (ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true, refuseConnect: 403 });
    const r = await runCli(['-', '--base-url', mock.url, '-c', '2'], { stdin: STDIN, env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: proxy.url } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`llm-batch: the proxy ${proxy.url} (HTTPS_PROXY) refused to connect to 127.0.0.1:${mock.port} (HTTP 403); check HTTPS_PROXY`);
    expect(r.stderr).not.toMatch(/API key|<html>/);
    expect(mock.requests).toHaveLength(0);
    expect(proxy.log.length).toBeLessThanOrEqual(4); // the first requests, not one per prompt and retry
  });

  it.for([
    ['refused credentials (407)', { credentials: 'me:right-password' }, 'http://me:wrong-password-1234@'],
    ['a refused tunnel (403)', { refuseConnect: 403 }, 'http://'],
  ] as const)('a proxy stop with -o FILE, %s: stderr and --summary-json give the --resume command, without the password', async ([, options, scheme], ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true, ...options });
    const dir = scratch(ctx);
    const out = path.join(dir, 'out.jsonl');
    const summary = path.join(dir, 's.json');
    const url = proxy.url.replace('http://', scheme);
    const r = await runCli(['-', '--base-url', mock.url, '-o', out, '-c', '1', '--summary-json', summary], {
      stdin: STDIN,
      env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: url },
    });
    expect(r.code, r.stderr).toBe(2);
    expect(mock.requests).toHaveLength(0);
    const written = JSON.parse(fs.readFileSync(summary, 'utf8'));
    expect(written).toMatchObject({ stopped: 'proxy', ok: 0 });
    expect(written.resumeHint).toMatch(/ --resume {2}# with the same input on stdin$/);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^llm-batch: the proxy .*; check HTTPS_PROXY/);
    expect(lines.at(-1)).toBe(`llm-batch: to finish the rest, run: ${written.resumeHint}`);
    for (const text of [r.stderr, fs.readFileSync(summary, 'utf8')]) {
      expect(text).not.toContain('wrong-password-1234');
      expect(text).not.toContain(SECRET_KEY);
    }
  });

  it('a "%" in the proxy password that is not an escape: exit 2, one line, the password not shown', async (ctx) => {
    const { mock, proxy } = await servers(ctx, { tls: true });
    const r = await runCli(['-', '--base-url', mock.url], {
      stdin: STDIN,
      env: { ...NO_PROXY_VARS, ...TRUST, HTTPS_PROXY: proxy.url.replace('http://', 'http://me:100%sure@') },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`llm-batch: the proxy URL for 127.0.0.1:${mock.port} has a "%" in its credentials that is not an escape: write it as %25`);
    expect(proxy.log).toHaveLength(0);
  });

  it('refuses a proxy it cannot speak (socks5) before sending anything: exit 2, one line naming the variables', async (ctx) => {
    const { mock, proxy } = await servers(ctx);
    const dir = scratch(ctx);
    const out = path.join(dir, 'out.jsonl');
    const r = await runCli(['-', '--base-url', mock.url, '-o', out], {
      stdin: STDIN,
      env: { ...NO_PROXY_VARS, ALL_PROXY: 'socks5://user:hidden-secret@127.0.0.1:1080' },
    });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/HTTPS_PROXY, HTTP_PROXY or ALL_PROXY\) is socks5:\/\/127\.0\.0\.1:1080: only http:\/\/ and https:\/\/ proxies/);
    expect(r.stderr).not.toContain('hidden-secret');
    expect(mock.requests).toHaveLength(0);
    expect(proxy.log).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a proxy that is down: the first refusals stop the run (exit 4) naming the proxy; earlier rows say ECONNREFUSED', async (ctx) => {
    const { mock, proxy } = await servers(ctx);
    await proxy.close(); // its port now refuses connections
    const r = await runCli(['-', '--base-url', mock.url, '--retries', '0', '-c', '1'], { stdin: STDIN, env: { ...NO_PROXY_VARS, HTTP_PROXY: proxy.url } });
    expect(r.code).toBe(4);
    // The proxy is what refused, so its variable is what to check, not --base-url.
    expect(r.stderr).toMatch(
      /nothing is listening at the proxy http:\/\/127\.0\.0\.1:\d+ for http:\/\/127\.0\.0\.1:\d+\/v1 \(connection refused\): is the proxy running, and is HTTP_PROXY right\? \(or list 127\.0\.0\.1 in NO_PROXY/,
    );
    expect(r.stderr).not.toContain('--base-url');
    const rows = parseJsonl<{ error: { type: string; message: string } | null }>(r.stdout);
    // Two rows before the third refusal trips the breaker; the rest are left for a resume.
    expect(rows.length).toBeLessThan(PROMPTS.length);
    for (const row of rows) expect(row.error).toMatchObject({ type: 'connection', message: expect.stringContaining('ECONNREFUSED') });
    expect(mock.requests).toHaveLength(0);
  });
});
