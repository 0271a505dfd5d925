/**
 * An answer that holds the API key (a gateway or an echo server that repeats the request, a model
 * shown the key) must not get it into a result row, the response cache or the report: the key is
 * `[redacted]` in the answer, streamed or not, on the lean and the SDK transports.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY } from '../helpers/run-cli.js';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runPty } from '../helpers/run-pty.js';

const { dir, fresh } = useServers('llm-batch-answer-key-');

describe.concurrent('an answer that holds the key', () => {
  it.each([
    ['streamed', []],
    ['--no-stream', ['--no-stream']],
    ['-v (SDK)', ['-v']],
  ])('%s: [redacted] in rows, the cache and the report; the rest of the answer kept', async (tag, extra) => {
    // As sent, percent-encoded and HTML-escaped (JSON's escapes are undone before the answer is read).
    const escaped = `%${SECRET_KEY.charCodeAt(0).toString(16)}${SECRET_KEY.slice(1)} ${SECRET_KEY.replaceAll('-', '&#45;')}`;
    const { run } = await fresh({ reply: (prompt) => `you sent ${SECRET_KEY} with "${prompt}" (${escaped})` });
    const name = tag.replace(/\W+/g, '');
    const input = path.join(dir, `${name}.txt`);
    fs.writeFileSync(input, 'hello\n');
    const out = path.join(dir, `${name}.jsonl`);
    const cache = path.join(dir, `${name}-cache`);
    const report = path.join(dir, `${name}.html`);
    const r = await run([input, '-o', out, '--cache-dir', cache, '--report', report, ...extra]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).response).toBe('you sent [redacted] with "hello" ([redacted] [redacted])');
    for (const file of [out, report, ...fs.readdirSync(cache).map((f) => path.join(cache, f))]) {
      expect(fs.readFileSync(file).includes(SECRET_KEY.slice(-8)), file).toBe(false);
    }
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });
});

describe('an answer that holds the key, on a terminal', () => {
  it.each([
    ['--no-stream', ['--no-stream'], undefined],
    ['-v --no-stream (SDK)', ['-v', '--no-stream'], undefined],
    // Three characters an event: the key streamed over a dozen (`sk-`, `tes`, `t-D`…).
    ['streamed, the key over a dozen events', [], 3],
    ['streamed, the key in one event', [], undefined],
    ['-v streamed (SDK), the key over a dozen events', ['-v'], 3],
  ])('%s: the screen shows it [redacted], as its row has it', async (tag, extra, pieceChars) => {
    const { server } = await fresh({ reply: () => `your key is ${SECRET_KEY} ok`, ...(pieceChars ? { pieceChars } : {}) });
    const input = path.join(dir, `tty${tag.replace(/\W+/g, '')}.txt`);
    fs.writeFileSync(input, 'hello\n');
    const r = await runPty([input, '--base-url', server.url, '--no-cache', ...extra], { cols: 120 });
    expect(r.code, r.raw).toBe(0);
    expect(r.screen.join('\n')).toContain('your key is [redacted] ok');
    expect(r.raw).not.toContain(SECRET_KEY.slice(-8));
  });
});

interface Token {
  token: string;
  bytes: number[] | null;
  top_logprobs: unknown[];
}

describe.concurrent('an answer whose logprobs and served model name hold the key', () => {
  it.each([
    ['streamed', []],
    ['--no-stream', ['--no-stream']],
    ['-v (SDK)', ['-v']],
  ])('%s: no token carries a piece of it, the model name says [redacted], in rows, the cache and the report', async (tag, extra) => {
    // Three characters a token: the key spread over a dozen (`sk-`, `tes`, `t-D`…), as a tokenizer may.
    const { run } = await fresh({ reply: () => `key ${SECRET_KEY}.`, pieceChars: 3, servedModel: `gw/${SECRET_KEY}` });
    const name = `lp${tag.replace(/\W+/g, '')}`;
    const input = path.join(dir, `${name}.txt`);
    fs.writeFileSync(input, 'hello\n');
    const out = path.join(dir, `${name}.jsonl`);
    const cache = path.join(dir, `${name}-cache`);
    const report = path.join(dir, `${name}.html`);
    const args = [input, '--param', 'logprobs=true', '--cache-dir', cache, ...extra];
    const r = await run([...args, '-o', out, '--report', report]);
    expect(r.code, r.stderr).toBe(0);
    const row = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(row.response).toBe('key [redacted].');
    expect(row.model).toBe('gw/[redacted]');
    const tokens = row.logprobs.content as Token[];
    // The tokens still join into the answer as the row has it; those that held a piece say so, and no more.
    expect(tokens.map((t) => t.token).join('')).toBe(row.response);
    expect(tokens.map((t) => t.token)).toEqual(['key', ' [redacted]', '', '', '', '', '', '', '', '', '', '', '', '.']);
    const spelled = Buffer.from(tokens.flatMap((t) => t.bytes ?? [])).toString('utf8');
    expect(spelled).toBe('key');
    for (const file of [out, report, ...fs.readdirSync(cache).map((f) => path.join(cache, f))]) {
      expect(fs.readFileSync(file).includes(SECRET_KEY.slice(-8)), file).toBe(false);
    }
    // Served from the cache: the same scrubbed answer.
    const again = await run([...args, '-o', path.join(dir, `${name}-2.jsonl`)]);
    expect(again.code, again.stderr).toBe(0);
    const hit = JSON.parse(fs.readFileSync(path.join(dir, `${name}-2.jsonl`), 'utf8'));
    expect(hit).toMatchObject({ cached: true, response: row.response, model: row.model, logprobs: row.logprobs });
  });
});
