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
    const { run } = await fresh({ reply: (prompt) => `you sent ${SECRET_KEY} with "${prompt}"` });
    const name = tag.replace(/\W+/g, '');
    const input = path.join(dir, `${name}.txt`);
    fs.writeFileSync(input, 'hello\n');
    const out = path.join(dir, `${name}.jsonl`);
    const cache = path.join(dir, `${name}-cache`);
    const report = path.join(dir, `${name}.html`);
    const r = await run([input, '-o', out, '--cache-dir', cache, '--report', report, ...extra]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).response).toBe('you sent [redacted] with "hello"');
    for (const file of [out, report, ...fs.readdirSync(cache).map((f) => path.join(cache, f))]) {
      expect(fs.readFileSync(file).includes(SECRET_KEY), file).toBe(false);
    }
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });
});
