/**
 * A 1 MB prompt with no space in it (a CJK document, a DNA sequence, a minified blob) is estimated in
 * time linear in its length: o200k's BPE on it whole took hours, blocking the event loop of
 * `--dry-run` and of any run that paces tokens (`--tpm`, or the server's rate-limit headers).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServer } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli } from '../helpers/run-cli.js';

const ctx = useServer('llm-batch-long-line-');

/** One line of 2^20 'x' (o200k: 8 to a token, 131,072 tokens), then a short one. */
function bigInput(): string {
  const file = path.join(ctx.dir, 'big.txt');
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${'x'.repeat(1 << 20)}\nsmall\n`);
  return file;
}

describe('a 1 MB line without a space', () => {
  it('--dry-run finishes and prints its token estimate', async () => {
    const r = await runCli([bigInput(), '--dry-run'], { env: { OPENAI_API_KEY: undefined }, timeoutMs: 50_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/2 records: 2 to send, 0 bad/);
    // 3 tokens a request + 3 a message, and the texts: 131,072 + 1 ("small").
    expect(r.stdout).toMatch(/gpt-4o-mini: 2 requests · 131,085 prompt tokens/);
  });

  it('is sent under --tpm, its estimate paced, without stalling the run', async () => {
    ctx.server.reset();
    const out = path.join(ctx.dir, 'tpm.jsonl');
    const r = await runCli([bigInput(), '-o', out, '--tpm', '100000000', '--base-url', ctx.server.url], { timeoutMs: 50_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(ctx.server.requests).toHaveLength(2);
    expect(parseJsonl(fs.readFileSync(out, 'utf8')).map((row) => row.error)).toEqual([null, null]);
  });
});
