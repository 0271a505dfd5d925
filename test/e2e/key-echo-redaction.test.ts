/**
 * A 401 that repeats the key in part (`Incorrect API key provided: sk-LEAK••••cdef.`), without its
 * prefix, cut short or upper-cased: none of it reaches stderr or --summary-json. Spawns the BUILT CLI
 * against a small server of its own that echoes the Authorization header's key in the way the base
 * URL's first path segment names.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

const tmp = tempDir('llm-batch-key-echo-');
let server: http.Server;
let origin = '';

/** How the server repeats `key`, by name. */
const ECHOES: Record<string, (key: string) => string> = {
  bullets: (key) => `${key.slice(0, key.indexOf('LEAK') + 4)}••••${key.slice(-4)}`,
  stars: (key) => `${key.slice(0, key.indexOf('LEAK') + 4)}****${key.slice(-4)}`,
  unprefixed: (key) => key.slice(key.indexOf('LEAK')),
  cut: (key) => key.slice(0, 16),
  upper: (key) => key.toUpperCase(),
  'cut-upper': (key) => `${key.slice(0, 12).toUpperCase()}...`,
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const echo = ECHOES[(req.url ?? '').split('/')[1] ?? '']!(key);
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${echo}. You can find your API key at https://platform.example/keys.`,
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  tmp.cleanup();
});

const OPENAI = 'sk-LEAKCHECK-1234567890abcdef';
const GROQ = 'gsk_LEAKCHECK1234567890abcdef';
const AZURE = '0123456789abcdef0123456789abcdef';

describe.concurrent('a 401 echoing the key in part', () => {
  it.each([
    [OPENAI, 'bullets', 'sk-LEAK••••cdef'],
    [OPENAI, 'unprefixed', 'LEAKCHECK-1234567890abcdef'],
    [GROQ, 'stars', 'gsk_LEAK****cdef'],
    [GROQ, 'cut', 'gsk_LEAKCHECK123'],
    [AZURE, 'upper', '0123456789ABCDEF0123456789ABCDEF'],
    [AZURE, 'cut-upper', '0123456789AB...'],
  ])('%s echoed %s: neither stderr nor --summary-json holds it', async (key, style, echo) => {
    expect(ECHOES[style]!(key)).toBe(echo);
    const dir = fs.mkdtempSync(path.join(tmp.dir, 'case-'));
    const input = writePrompts(dir, 'p.txt', ['one']);
    const summary = path.join(dir, 's.json');
    const r = await runCli([input, '--base-url', `${origin}/${style}/v1`, '--no-cache', '--summary-json', summary], { env: { OPENAI_API_KEY: key } });
    expect(r.code, r.stderr).toBe(2);
    const written = fs.readFileSync(summary, 'utf8');
    for (const text of [r.stderr, written]) {
      // A `...` mask takes the sentence's `.` with it.
      expect(text).toMatch(/Incorrect API key provided: \[redacted\]\.? You can find your API key at https:\/\/platform\.example\/keys/);
      expect(text).not.toContain(echo);
      expect(text).not.toMatch(/LEAK|0123456789/i);
    }
  });
});
