/**
 * A server may echo the key escaped (`\/` as PHP's json_encode writes `/`, `\u002d` for `-`, or
 * percent-encoded in a URL): `-v` and `--trace` show raw bodies, so the key must be matched in those
 * forms too. And a placeholder key that is an ordinary word (`OPENAI_API_KEY=ollama`, as Ollama's docs
 * say) is no secret: it must not be cut out of a model name in a row or the trace.
 * Through the BUILT CLI against the in-repo mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';

const ctx = useServer('llm-batch-escaped-key-');
/** A `/` in it, as some gateways' keys have; its tail is in every escaped form of it. */
const KEY = 'sk-test/DO-NOT-PRINT-5e0c7a91d2f4';
const TAIL = /5e0c7a91d2f4|%35%65|\\u0035/i;

describe('a key the server echoes escaped', () => {
  it('-v: the raw 401 body shows [redacted] for the JSON-escaped and the percent-encoded key', async () => {
    const input = writePrompts(ctx.dir, 'v.txt', ['[[fault:escaped-key]] one']);
    const r = await runCli([input, '--base-url', ctx.server.url, '--no-cache', '-v', '-o', path.join(ctx.dir, 'v.jsonl')], { env: { OPENAI_API_KEY: KEY } });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^#1 < \{"error":\{"message":"Invalid key: \[redacted\], see https:\/\/gw\.example\/keys\/\[redacted\]"/m);
    expect(r.stdout + r.stderr).not.toMatch(TAIL);
  });

  it('--trace FILE, the rows and --summary-json: the key in no form', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'trace-'));
    const input = writePrompts(dir, 'p.txt', ['[[fault:escaped-key]] first', 'two']);
    const r = await runCli(
      [
        input,
        '--base-url',
        ctx.server.url,
        '--no-cache',
        '--trace',
        path.join(dir, 'wire.log'),
        '-o',
        path.join(dir, 'out.jsonl'),
        '--summary-json',
        path.join(dir, 's.json'),
      ],
      { env: { OPENAI_API_KEY: KEY } },
    );
    expect(r.code, r.stderr).toBe(2);
    expect(fs.readFileSync(path.join(dir, 'wire.log'), 'utf8')).toContain('Invalid key: [redacted], see https://gw.example/keys/[redacted]');
    expect(r.stdout + r.stderr).not.toMatch(TAIL);
    for (const file of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, file), 'utf8'), file).not.toMatch(TAIL);
  });
});

describe('a placeholder key (OPENAI_API_KEY=ollama)', () => {
  it('the row and -v name the model ollama-llama3 whole; the Authorization header still reads [redacted]', async () => {
    const input = writePrompts(ctx.dir, 'ollama.txt', ['[[fault:no-access]] x', 'y']);
    const r = await runCli([input, '--base-url', ctx.server.url, '--no-cache', '-m', 'ollama-llama3', '--retries', '0', '-v'], {
      env: { OPENAI_API_KEY: 'ollama' },
    });
    expect(r.code, r.stderr).toBe(1);
    const [row] = parseJsonl<{ error: { message: string } }>(r.stdout);
    expect(row?.error.message).toBe('HTTP 403: Project `proj_mock` does not have access to model `ollama-llama3`');
    expect(r.stderr).toMatch(/^#1 > \{"model":"ollama-llama3",/m);
    expect(r.stderr).toMatch(/^#1 > authorization: \[redacted\]$/m);
    expect(r.stdout + r.stderr).not.toContain('[redacted]-llama3');
    expect(r.stderr).not.toMatch(/Bearer ollama/);
  });
});

describe('a short key the server echoes where llm-batch cuts its words (300 and 500 characters)', () => {
  it.each([['key-at-cut'], ['key-at-cut-500']])('%s: no part of it in the row, stderr or --summary-json (it was cut to "zqkey-abc…")', async (fault) => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'cut-'));
    const input = writePrompts(dir, 'p.txt', [`[[fault:${fault}]] one`]);
    const out = path.join(dir, 'out.jsonl');
    const r = await runCli([input, '--base-url', ctx.server.url, '--no-cache', '--retries', '0', '-o', out, '--summary-json', path.join(dir, 's.json')], {
      env: { OPENAI_API_KEY: 'zqkey-abc123' },
    });
    expect(r.code, r.stderr).toBe(1);
    const [row] = parseJsonl<{ error: { message: string } }>(fs.readFileSync(out, 'utf8'));
    expect(row!.error.message).toMatch(/was not the one it expects\..* key…$/);
    expect(r.stdout + r.stderr).not.toMatch(/zqk|abc1/);
    for (const file of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, file), 'utf8'), file).not.toMatch(/zqk|abc1/);
  });
});
