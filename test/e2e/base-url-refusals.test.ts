/**
 * A base URL carrying a secret outside the Authorization header (`TOKEN@host`, `user:pass@host`,
 * `?api-key=…`, `#…`) is refused before anything is sent (exit 2), and the refusal itself shows
 * neither the userinfo nor the query: it lands in terminals, CI logs and cron mail.
 * Spawns the BUILT CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { stderrLines, useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh } = useServers('llm-batch-base-url-');
const OTHER = 'tok-NOT-THE-KEY-5b1e';

describe.concurrent('a --base-url with credentials or a query is refused without echoing them', () => {
  it.each([
    [
      'username only (the key)',
      (u: URL) => `${u.protocol}//${SECRET_KEY}@${u.host}${u.pathname}`,
      /^llm-batch: --base-url http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1 has credentials in it/,
    ],
    [
      'the key with an empty password',
      (u: URL) => `${u.protocol}//${SECRET_KEY}:@${u.host}${u.pathname}`,
      /--base-url http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1 has credentials/,
    ],
    [
      'user and password',
      (u: URL) => `${u.protocol}//${OTHER}:${OTHER}@${u.host}${u.pathname}`,
      /--base-url http:\/\/\*\*\*@127\.0\.0\.1:\d+\/v1 has credentials/,
    ],
    ['another token as username', (u: URL) => `${u.protocol}//${OTHER}@${u.host}${u.pathname}`, /has credentials/],
    [
      'a user, and the key in the path',
      (u: URL) => `${u.protocol}//${OTHER}@${u.host}/${SECRET_KEY}/v1`,
      /--base-url http:\/\/\*\*\*@127\.0\.0\.1:\d+\/\[redacted\]\/v1 has credentials/,
    ],
    [
      'the key in the query',
      (u: URL) => `${u.href}?api-key=${SECRET_KEY}`,
      /^llm-batch: --base-url http:\/\/127\.0\.0\.1:\d+\/v1\?\*\*\* has a query string or fragment/,
    ],
    ['a token in the query', (u: URL) => `${u.href}?key=${OTHER}`, /has a query string or fragment/],
    ['an empty query', (u: URL) => `${u.href}?`, /has a query string or fragment/],
    ['the key in the fragment', (u: URL) => `${u.href}#${SECRET_KEY}`, /has a query string or fragment/],
    [
      'the key in the path and a query',
      (u: URL) => `${u.origin}/${SECRET_KEY}/v1?x=${OTHER}`,
      /--base-url http:\/\/127\.0\.0\.1:\d+\/\[redacted\]\/v1\?\*\*\* has a query/,
    ],
  ])('%s: exit 2, one line, no secret, nothing sent or written', async (_name, makeUrl, message) => {
    const { server } = await fresh();
    const input = writePrompts(dir, `p-${Math.random().toString(36).slice(2)}.txt`, ['one']);
    const out = `${input}.out.jsonl`;
    const url = makeUrl(new URL(server.url));
    for (const how of ['flag', 'env'] as const) {
      const r =
        how === 'flag' ? await runInWorker([input, '--base-url', url, '-o', out]) : await runInWorker([input, '-o', out], { env: { OPENAI_BASE_URL: url } });
      expect(r.code, r.stderr).toBe(2);
      expect(stderrLines(r)).toHaveLength(1);
      expect(r.stderr).toMatch(how === 'flag' ? message : new RegExp(message.source.replace('--base-url', 'OPENAI_BASE_URL').replace('^llm-batch: ', '')));
      expect(r.stderr + r.stdout).not.toContain(SECRET_KEY);
      expect(r.stderr).not.toContain(OTHER);
    }
    expect(server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.existsSync(`${out}.meta.json`)).toBe(false);
  });

  it.each([
    ['https://res.openai.azure.com', '/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21'],
    // A Foundry resource's host: its deployments' URLs, and its model inference endpoint's.
    ['https://res.services.ai.azure.com', '/openai/deployments/gpt4o/chat/completions?api-version=2025-01-01-preview'],
    ['https://res.services.ai.azure.com', '/models/chat/completions?api-version=2024-05-01-preview'],
  ])("an Azure deployment's URL with ?api-version (%s%s): exit 2, naming the v1 base URL and -m DEPLOYMENT", async (origin, rest) => {
    const input = writePrompts(dir, 'azure.txt', ['one']);
    const url = `${origin}${rest}`;
    for (const how of ['flag', 'env'] as const) {
      const args = [input, '-m', 'gpt4o', '-o', `${input}.jsonl`];
      const r = how === 'flag' ? await runInWorker([...args, '--base-url', url]) : await runInWorker(args, { env: { OPENAI_BASE_URL: url } });
      expect(r.code, r.stderr).toBe(2);
      expect(stderrLines(r)).toHaveLength(1);
      expect(r.stderr).toContain(`has a query string (an api-version?): Azure OpenAI's v1 API takes none; pass --base-url ${origin}/openai/v1`);
      expect(r.stderr).toContain("and the deployment's name as -m");
    }
  });

  it.each([
    ['http://HOST/v1/chat/completions', 'ends in /chat/completions, which llm-batch appends itself', 'http://HOST/v1'],
    ['http://HOST/api/v1/chat/completions/', 'ends in /chat/completions, which llm-batch appends itself', 'http://HOST/api/v1'],
    [
      'https://res.openai.azure.com/openai/deployments/gpt4o',
      "is an Azure deployment's path, which wants an api-version",
      'https://res.openai.azure.com/openai/v1',
    ],
    [
      'https://res.services.ai.azure.com/openai/deployments/gpt4o',
      "is an Azure deployment's path, which wants an api-version",
      'https://res.services.ai.azure.com/openai/v1',
    ],
    [
      'https://res.services.ai.azure.com/models',
      "is Azure's model inference endpoint, which wants an api-version",
      'https://res.services.ai.azure.com/openai/v1',
    ],
    [
      'https://res.services.ai.azure.com/models/chat/completions',
      "is Azure's model inference endpoint, which wants an api-version",
      'https://res.services.ai.azure.com/openai/v1',
    ],
  ])('%s names an endpoint, not the API: exit 2 naming the base URL to pass, before anything is sent or written', async (given, why, root) => {
    const { server } = await fresh();
    const host = new URL(server.url).host;
    const url = given.replace('HOST', host);
    const input = writePrompts(dir, 'endpoint.txt', ['one']);
    const out = path.join(dir, 'endpoint.jsonl');
    for (const how of ['flag', 'env'] as const) {
      const r =
        how === 'flag' ? await runInWorker([input, '--base-url', url, '-o', out]) : await runInWorker([input, '-o', out], { env: { OPENAI_BASE_URL: url } });
      expect(r.code, r.stderr).toBe(2);
      expect(stderrLines(r)).toHaveLength(1);
      expect(r.stderr).toContain(`${how === 'flag' ? '--base-url' : 'OPENAI_BASE_URL'} ${url.replace(/\/$/, '')} ${why}`);
      expect(r.stderr).toContain(`pass --base-url ${root.replace('HOST', host)}`);
    }
    expect(server.requests).toHaveLength(0);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a --base-url that is no URL at all (the key and a host, no scheme): the parse error shows no key', async () => {
    const input = writePrompts(dir, 'no-scheme.txt', ['one']);
    const r = await runCli([input, '--base-url', `${SECRET_KEY}@api.example.com/v1`, '-o', `${input}.jsonl`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--base-url <url>' argument '\*\*\*@api\.example\.com\/v1' is invalid/);
    expect(r.stderr + r.stdout).not.toContain(SECRET_KEY);
  });

  it.each([
    ['a token as the user', 'PWSECRET99@127.0.0.1:1/v1', '***@127.0.0.1:1/v1'],
    ['a query', '127.0.0.1:1/v1?code=PWSECRET99', '127.0.0.1:1/v1?***'],
    ['user, password and fragment', 'me:PWSECRET99@127.0.0.1:1/v1#PWSECRET99', '***@127.0.0.1:1/v1#***'],
  ])('no scheme, %s: --base-url (run and status) is shown as OPENAI_BASE_URL is, masked', async (_name, url, shown) => {
    const input = writePrompts(dir, 'no-scheme-masked.txt', ['one']);
    const runs = {
      flag: await runInWorker([input, '--base-url', url]),
      'flag=': await runInWorker([input, `--base-url=${url}`]),
      status: await runInWorker(['status', `${input}.jsonl`, '--base-url', url]),
      env: await runInWorker([input], { env: { OPENAI_BASE_URL: url } }),
    };
    for (const [how, r] of Object.entries(runs)) {
      expect(r.code, how).toBe(2);
      expect(r.stderr, how).toContain(how === 'env' ? `OPENAI_BASE_URL ${JSON.stringify(shown)}: expected` : `argument '${shown}' is invalid.`);
      expect(r.stderr + r.stdout, how).not.toContain('PWSECRET99');
    }
  });

  it('a plain base URL still works, and its run settings hold no query', async () => {
    const { server } = await fresh();
    const input = writePrompts(dir, 'plain.txt', ['one']);
    const out = path.join(dir, 'plain.jsonl');
    const r = await runCli([input, '--base-url', server.url, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8')).baseURL).toBe(server.url);
  });
});

/**
 * OPENAI_BASE_URL is held to what --base-url is: a value that is no http(s) URL used to reach the
 * HTTP client (an internal error, exit 1) after OUT.meta.json had recorded it, `"baseURL": "mock"`
 * included, which later commands then took for a --mock run.
 */
describe.concurrent('an OPENAI_BASE_URL that is not an http(s) URL is refused before anything is written', () => {
  it.each([
    ['mock', 'mock', /^llm-batch: OPENAI_BASE_URL "mock": expected an http:\/\/ or https:\/\/ URL, e.g\. .*pass --mock/],
    ['a host without a scheme', 'localhost:8000/v1', /^llm-batch: OPENAI_BASE_URL "localhost:8000\/v1": expected an http:\/\/ or https:\/\/ URL/],
    ['another scheme', 'ftp://127.0.0.1/v1', /^llm-batch: OPENAI_BASE_URL "ftp:\/\/127\.0\.0\.1\/v1": expected an http:\/\/ or https:\/\/ URL/],
    ['the key and a host, no scheme', `${SECRET_KEY}@api.example.com/v1`, /^llm-batch: OPENAI_BASE_URL "\*\*\*@api\.example\.com\/v1": expected/],
    [
      'a token and a query, no scheme',
      `${OTHER}@api.example.com/v1?key=${SECRET_KEY}`,
      /^llm-batch: OPENAI_BASE_URL "\*\*\*@api\.example\.com\/v1\?\*\*\*": expected/,
    ],
  ])('%s: exit 2, one line naming OPENAI_BASE_URL, no secret, no output or meta file', async (_name, value, message) => {
    const { server } = await fresh();
    const input = writePrompts(dir, `env-${Math.random().toString(36).slice(2)}.txt`, ['one']);
    for (const extra of [[], ['--batch-api', '--no-wait']]) {
      const out = `${input}.${extra.length}.jsonl`;
      const r = await runInWorker([input, '-o', out, ...extra], { env: { OPENAI_BASE_URL: value } });
      expect(r.code, r.stderr).toBe(2);
      expect(stderrLines(r)).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/internal error|TypeError/);
      expect(r.stderr + r.stdout).not.toContain(SECRET_KEY);
      expect(r.stderr).not.toContain(OTHER);
      expect(fs.existsSync(out)).toBe(false);
      expect(fs.existsSync(`${out}.meta.json`)).toBe(false);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('--base-url wins over a bad OPENAI_BASE_URL, and --mock reads it not: each run works', async () => {
    const { server } = await fresh();
    const input = writePrompts(dir, 'env-overridden.txt', ['one']);
    const live = path.join(dir, 'env-overridden.jsonl');
    const r = await runCli([input, '--base-url', server.url, '-o', live], { env: { OPENAI_BASE_URL: 'mock' } });
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(`${live}.meta.json`, 'utf8')).baseURL).toBe(server.url);
    const mocked = path.join(dir, 'env-mocked.jsonl');
    const m = await runCli([input, '--mock', '-o', mocked], { env: { OPENAI_BASE_URL: 'mock' } });
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(`${mocked}.meta.json`, 'utf8')).baseURL).toBe('mock');
  });

  it.each([[''], ['   ']])('OPENAI_BASE_URL=%j counts as unset, as an empty OPENAI_API_KEY does', async (value) => {
    const input = writePrompts(dir, `env-empty-${value.length}.txt`, ['one']);
    // The empty value's dry run is a child process; the blank one's runs in the worker.
    const dry = await (value === '' ? runCli : runInWorker)([input, '--dry-run'], { env: { OPENAI_BASE_URL: value } });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('POST https://api.openai.com/v1/chat/completions');
    // Unset, it is no local server that may need no key.
    const keyless = await runInWorker([input, '-o', `${input}.jsonl`], { env: { OPENAI_BASE_URL: value, OPENAI_API_KEY: '' } });
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toMatch(/^llm-batch: OPENAI_API_KEY is not set/);
  });
});
