/**
 * Bad input records are named on stderr even with -q, but only the first 20: a broken export of a
 * million rows must not mail a million lines from cron. One line then counts the rest; every bad
 * record is still its own `input` row. Spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-input-cap-');

/** `good` valid records and `bad` lines that are no JSON, interleaved; returns the file. */
function input(good: number, bad: number): string {
  const lines: string[] = [];
  for (let i = 0; i < Math.max(good, bad); i++) {
    if (i < good) lines.push(JSON.stringify({ id: `g${i}`, prompt: `good ${i}` }));
    if (i < bad) lines.push('{broken');
  }
  const file = path.join(ctx.dir, 'in.jsonl');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const MODES = [
  ['live', []],
  ['--batch-api', ['--batch-api', '--poll', '0.05']],
] as const;

describe.each(MODES)('%s, -q', (_mode, extra) => {
  it('500 bad records: the first 20 named, then "… and 480 more"; 500 input rows', async () => {
    const file = input(10, 500);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([file, '-o', out, '-q', '--no-cache', '--base-url', ctx.server.url, ...extra]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    const named = lines.filter((l) => /^llm-batch: .*in\.jsonl:\d+: invalid JSON/.test(l));
    expect(named).toHaveLength(20);
    expect(lines[20]).toBe('llm-batch: … and 480 more bad input records (their rows have error.type "input")');
    expect(lines[21]).toMatch(/^llm-batch: 10 ok, 500 failed \(input 500\)/);
    expect(lines).toHaveLength(22);
    expect(parseJsonl<{ error?: { type: string } }>(fs.readFileSync(out, 'utf8')).filter((row) => row.error?.type === 'input')).toHaveLength(500);
  });

  it('20 bad records: all 20 named, no count line', async () => {
    const file = input(5, 20);
    const r = await runCli([file, '-o', path.join(ctx.dir, 'out.jsonl'), '-q', '--no-cache', '--base-url', ctx.server.url, ...extra]);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/invalid JSON/g)).toHaveLength(20);
    expect(r.stderr).not.toMatch(/more bad input/);
  });
});
