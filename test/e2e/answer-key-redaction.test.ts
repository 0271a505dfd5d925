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
