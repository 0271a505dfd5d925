/**
 * What --max-cost says and does at its edges, from the built CLI against the mock server: a Batch API
 * line naming a model with no price (an `input` row, as live, not a stall at any cap), amounts too
 * small for `<$0.0001` to be advice, and a cap below one request's worst case (the default answer
 * limit named).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-budget-advice-');
const rowsOf = (file: string) => parseJsonl<{ id: string; line: number; error: { type: string; message: string } | null }>(fs.readFileSync(file, 'utf8'));

describe('--batch-api --max-cost and a line whose model has no price', () => {
  it('writes that line an input row naming the model, as live, and plans the rest', async () => {
    ctx.server.options.batches = { stepMs: 30 };
    const input = path.join(ctx.dir, 'own.jsonl');
    fs.writeFileSync(input, '{"prompt":"a"}\n{"prompt":"b","model":"weird-model"}\n{"prompt":"c"}\n');
    const out = path.join(ctx.dir, 'c6.jsonl');
    const r = await runCli([
      input,
      '--base-url',
      ctx.server.url,
      '-m',
      'gpt-4o-mini',
      '-o',
      out,
      '--no-cache',
      '--max-cost',
      '1',
      '--batch-api',
      '--poll',
      '0.05',
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/budget reached/);
    const rows = rowsOf(out).sort((a, b) => a.line - b.line);
    expect(rows.map((row) => [row.line, row.error?.type ?? 'ok'])).toEqual([
      [1, 'ok'],
      [2, 'input'],
      [3, 'ok'],
    ]);
    expect(rows[1]!.error!.message).toMatch(/own\.jsonl:2: no price known for model weird-model: --max-cost needs one \(--price IN\/OUT or --prices FILE\)/);
    // The live run of the same input says the same.
    const live = path.join(ctx.dir, 'live.jsonl');
    const l = await runCli([input, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '-o', live, '--no-cache', '--max-cost', '1']);
    expect(l.code, l.stderr).toBe(1);
    const liveRow = rowsOf(live).find((row) => row.line === 2)!;
    expect(liveRow.error!.message).toContain('no price known for model weird-model: --max-cost needs one');
  });
});
