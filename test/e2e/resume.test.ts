/**
 * "Never lose or duplicate a row", part 1: what happens to an existing output file.
 * Clobber refusal, output == input, --resume / --retry-failed / --compact, torn last line,
 * run metadata checks, the output lock, and stable ids. Every test spawns the BUILT CLI
 * (`npm run build` first) against the in-repo mock server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { holdAnswers, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { ROOT, SECRET_KEY, parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const ctx = useServerAndCaseDir('llm-batch-resume-');

interface Row {
  id: string;
  line: number;
  prompt: string;
  response: string | null;
  error: { type: string; message: string; status?: number } | null;
  attempts: number;
}

const read = (file: string): string => fs.readFileSync(file, 'utf8');
const rowsOf = (file: string): Row[] => parseJsonl<Row>(read(file));

/** The last row for each id, as resume and --compact see the file. */
function lastById(rows: readonly Row[]): Map<string, Row> {
  const last = new Map<string, Row>();
  for (const r of rows) last.set(r.id, r);
  return last;
}

/** Success rows per prompt text. */
function successCounts(rows: readonly Row[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.error === null) counts.set(r.prompt, (counts.get(r.prompt) ?? 0) + 1);
  return counts;
}

function lineCount(file: string): number {
  try {
    return read(file).split('\n').length - 1;
  } catch {
    return 0;
  }
}

/** Runs the CLI against the shared mock ctx.server. */
const run = (args: readonly string[], env?: Record<string, string | undefined>) => runCli([...args, '--base-url', ctx.server.url], { env });

/** Ten prompts, three of which fail with a non-retryable 400 on their first attempt only. */
function tenPrompts(tag: string): { prompts: string[]; failing: string[] } {
  const prompts = Array.from({ length: 10 }, (_, i) => (i % 3 === 1 ? `${tag} q${i} [[fault:400*1]]` : `${tag} q${i}`));
  return { prompts, failing: prompts.filter((p) => p.includes('fault')) };
}

describe('an existing output file is never clobbered', () => {
  it('refuses a non-empty -o without --resume/--overwrite: exit 2, names the file and both flags, file untouched, nothing sent', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const before = '{"precious":"row"}\n{"precious":"row 2"}\n';
    fs.writeFileSync(out, before);

    const r = await runInWorker([input, '-o', out, '--base-url', ctx.server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toMatch(/--resume/);
    expect(r.stderr).toMatch(/--overwrite/);
    expect(read(out)).toBe(before);
    expect(ctx.server.requests).toHaveLength(0);
    expect(fs.existsSync(`${out}.lock`)).toBe(false);
  });

  it('an existing text output is not offered --resume, which cannot continue it: exit 2, file untouched', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const out = path.join(ctx.dir, 'out.txt');
    fs.writeFileSync(out, '[1-abc] an answer\n\n');
    const r = await run([input, '-o', out]);
    expect([r.code, r.stderr.trim()]).toEqual([
      2,
      `llm-batch: ${out} already exists: pass --overwrite to replace it, or choose another output file (a text output cannot be resumed: it keeps no rows to read back) (nothing was changed)`,
    ]);
    expect(read(out)).toBe('[1-abc] an answer\n\n');
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('--overwrite replaces the old content with the new rows', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    fs.writeFileSync(out, '{"old":"row"}\n');

    const r = await run([input, '-o', out, '--overwrite']);
    expect(r.code).toBe(0);
    const rows = rowsOf(out);
    expect(rows.map((x) => x.response).sort()).toEqual(['ECHO one', 'ECHO two']);
    expect(read(out)).not.toContain('old');
  });

  it('--overwrite keeps the old results when the run stops before its first row (a rejected key), meta included', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['rejected [[fault:401]]', 'never sent']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const old = '{"id":"a","response":"kept"}\n';
    fs.writeFileSync(out, old);
    fs.writeFileSync(`${out}.meta.json`, '{"old":"meta"}\n');

    const r = await run([input, '-o', out, '--overwrite', '-c', '1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/rejected the API key/);
    expect(r.stderr).toContain(`${out} is left as it was: the run stopped before its first row`);
    expect(read(out)).toBe(old);
    expect(read(`${out}.meta.json`)).toBe('{"old":"meta"}\n');
  });

  it('metadata that records no input (`{}`): refused as such, exit 2, nothing sent; not "the input was stdin"', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await run([input, '-o', out, '-q'])).code).toBe(0);
    fs.writeFileSync(`${out}.meta.json`, '{}\n');
    const sent = ctx.server.requests.length;
    const r = await run([input, '-o', out, '--resume']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`llm-batch: Run metadata ${out}.meta.json records no input, as no run writes it; delete it to resume without the settings check.\n`);
    expect(ctx.server.requests).toHaveLength(sent);
  });

  it('--overwrite stopped by the quota before its first row: old file kept, and the command printed to finish is the same one (not --resume)', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['out of quota [[fault:quota]]', 'never sent']);
    const out = path.join(ctx.dir, 'out.jsonl');
    fs.writeFileSync(out, '{"id":"a","response":"kept"}\n');
    const r = await run([input, '-o', out, '--overwrite', '-c', '1']);
    expect(r.code, r.stderr).toBe(3);
    expect(read(out)).toBe('{"id":"a","response":"kept"}\n');
    const m = /to finish the rest, run: (.+)$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]).toMatch(/ --overwrite( |$)/);
    expect(m![1]).not.toMatch(/--resume/);
  });

  it('--overwrite with an input that has no prompts keeps the old results (a failed export must not wipe them): exit 5', async () => {
    const input = writePrompts(ctx.dir, 'empty.txt', []);
    const out = path.join(ctx.dir, 'out.jsonl');
    fs.writeFileSync(out, '{"old":"row"}\n');
    const r = await run([input, '-o', out, '--overwrite']);
    expect(r.code, r.stderr).toBe(5);
    expect(read(out)).toBe('{"old":"row"}\n');
    expect(r.stderr).toMatch(/out\.jsonl is left as it was: the input held no prompts/);
  });

  it('an empty existing output file is simply written', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one']);
    const out = path.join(ctx.dir, 'out.jsonl');
    fs.writeFileSync(out, '');
    const r = await run([input, '-o', out]);
    expect(r.code).toBe(0);
    expect(rowsOf(out)).toHaveLength(1);
  });

  it.each([
    ['the same path', (input: string) => input, [] as string[]],
    ['the same path spelled differently', (input: string) => path.join(path.dirname(input), '.', 'sub', '..', path.basename(input)), []],
    ['the same path with --overwrite', (input: string) => input, ['--overwrite']],
    ['the same path with --resume', (input: string) => input, ['--resume']],
    ['a relative path to it', (input: string) => path.relative(ROOT, input), ['--overwrite']],
  ])('-o equal to the input (%s) → exit 2, input untouched, nothing sent', async (_name, outFor, extra) => {
    fs.mkdirSync(path.join(ctx.dir, 'sub'));
    const input = writePrompts(ctx.dir, 'prompts.jsonl', ['{"prompt":"one"}', '{"prompt":"two"}']);
    const before = read(input);
    const r = await runInWorker([input, '-o', outFor(input), ...extra, '--base-url', ctx.server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/input/i);
    expect(read(input)).toBe(before);
    expect(ctx.server.requests).toHaveLength(0);
  });

  it('-o being a symlink to the input with --overwrite → exit 2, input untouched', async () => {
    const input = writePrompts(ctx.dir, 'prompts.jsonl', ['{"prompt":"one"}', '{"prompt":"two"}']);
    const link = path.join(ctx.dir, 'out.jsonl');
    fs.symlinkSync(input, link);
    const before = read(input);
    const r = await runInWorker([input, '-o', link, '--overwrite', '--base-url', ctx.server.url]);
    expect(r.code).toBe(2);
    expect(read(input)).toBe(before);
    expect(ctx.server.requests).toHaveLength(0);
  });
});

describe('--resume', () => {
  it('skips answered prompts, keeps permanently failed ones failed without --retry-failed, re-runs them with it; then one row per id', async () => {
    const { prompts, failing } = tenPrompts('jr');
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');

    // Run 1: 7 answered, 3 failed (400 is not retried).
    const r1 = await run([input, '-o', out, '-c', '4']);
    expect(r1.code).toBe(1);
    const first = read(out);
    const rows1 = parseJsonl<Row>(first);
    expect(rows1).toHaveLength(10);
    expect(rows1.filter((r) => r.error === null)).toHaveLength(7);
    expect(
      rows1
        .filter((r) => r.error !== null)
        .map((r) => r.prompt)
        .sort(),
    ).toEqual([...failing].sort());
    expect(rows1.find((r) => r.error !== null)!.error).toMatchObject({ type: 'http', status: 400 });
    for (const p of prompts) expect(ctx.server.countFor(p)).toBe(1);

    // Run 2: --resume alone sends nothing (7 answered, 3 failed and not retried) and appends nothing,
    // but the 3 are still unanswered: exit 1, said even under -q (cron mails stderr).
    const r2 = await run([input, '-o', out, '--resume', '-q']);
    expect(r2.code, r2.stderr).toBe(1);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(r2.stderr).toMatch(/0 ok, 0 failed, 10 already done \(3 of them failed; --retry-failed re-runs them\)/);
    expect(ctx.server.requests).toHaveLength(10);
    for (const p of prompts) expect(ctx.server.countFor(p)).toBe(1);
    expect(read(out)).toBe(first);

    // Run 3: --resume --retry-failed re-runs exactly the 3 failed ones; their second attempt succeeds.
    // The superseded error rows are then compacted away: one row per id for naive readers.
    const r3 = await run([input, '-o', out, '--resume', '--retry-failed']);
    expect(r3.code).toBe(0);
    for (const p of prompts) expect(ctx.server.countFor(p)).toBe(failing.includes(p) ? 2 : 1);
    expect(ctx.server.requests).toHaveLength(13);
    const after = read(out);
    const afterRows = parseJsonl<Row>(after);
    expect(afterRows).toHaveLength(10);
    // The rows answered in run 1 are kept byte for byte.
    for (const line of first.split('\n').filter((l) => l !== '' && JSON.parse(l).error === null)) expect(after).toContain(line);
    expect(afterRows.filter((r) => failing.includes(r.prompt)).every((r) => r.error === null)).toBe(true);
    expect(r3.stderr).toMatch(/3 superseded rows replaced by this run's \(compacted\)/);
    expect(fs.existsSync(`${out}.compact.tmp`)).toBe(false);

    const last = lastById(afterRows);
    expect(last.size).toBe(10);
    for (const r of last.values()) expect(r.error).toBeNull();
    expect([...last.values()].map((r) => r.prompt).sort()).toEqual([...prompts].sort());

    // Run 4: everything is answered now: a resume sends nothing and appends nothing.
    const r4 = await run([input, '-o', out, '--resume', '--retry-failed']);
    expect(r4.code).toBe(0);
    expect(ctx.server.requests).toHaveLength(13);
    expect(read(out)).toBe(after);
  });

  it('--resume -f csv on a JSONL results file: exit 2 saying to drop -f, file untouched, nothing sent', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'results.jsonl');
    expect((await run([input, '-o', out])).code).toBe(0);
    const before = read(out);
    const sent = ctx.server.requests.length;
    const r = await runInWorker([input, '-o', out, '--resume', '-f', 'csv', '--base-url', ctx.server.url]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `llm-batch: --resume -f csv: ${out} holds JSONL rows, and a resume continues a file in its own format; drop -f csv (or pass -f jsonl)`,
    );
    expect(read(out)).toBe(before);
    expect(ctx.server.requests.length).toBe(sent);
  });

  it('-o r.csv -f jsonl: --resume without -f continues it as JSONL, and --compact reads it as such (its metadata says so)', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const out = path.join(ctx.dir, 'r.csv');
    expect((await run([input, '-o', out, '-f', 'jsonl'])).code).toBe(0);
    expect(JSON.parse(read(`${out}.meta.json`))).toMatchObject({ outputFormat: 'jsonl' });
    writePrompts(ctx.dir, 'p.txt', ['one', 'two', 'three']);
    const r = await run([input, '-o', out, '--resume']);
    expect([r.code, r.stderr]).toEqual([0, expect.stringContaining('1 ok')]);
    expect(rowsOf(out).map((row) => row.prompt)).toEqual(['one', 'two', 'three']);
    expect(ctx.server.requests).toHaveLength(3);
    const copy = path.join(ctx.dir, 'c.csv');
    const c = await runInWorker(['--compact', out, '-o', copy, '-q']);
    expect([c.code, c.stderr]).toEqual([0, '']);
    expect((parseCsv(read(copy), { columns: true }) as Record<string, string>[]).map((row) => row.prompt)).toEqual(['one', 'two', 'three']);
  });

  it('--resume on a missing or empty output just runs everything', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['a1', 'a2', 'a3']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await run([input, '-o', out, '--resume']);
    expect(r.code).toBe(0);
    expect(rowsOf(out)).toHaveLength(3);
  });

  it('--compact keeps one row per id, the last one, to a file or to stdout', async () => {
    const { prompts } = tenPrompts('cp');
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await run([input, '-o', out])).code).toBe(1);
    // A file with superseded rows, as an older version or a killed resume leaves it.
    const failed = rowsOf(out).filter((r) => r.error !== null);
    fs.appendFileSync(out, failed.map((r) => JSON.stringify({ ...r, response: `ECHO ${r.prompt}`, error: null })).join('\n') + '\n');
    const all = rowsOf(out);
    expect(all).toHaveLength(13);
    const expected = lastById(all);
    const sent = ctx.server.requests.length;

    const clean = path.join(ctx.dir, 'clean.jsonl');
    const c1 = await runInWorker(['--compact', out, '-o', clean]);
    expect(c1.code).toBe(0);
    const compacted = rowsOf(clean);
    expect(compacted).toHaveLength(10);
    expect(new Set(compacted.map((r) => r.id)).size).toBe(10);
    for (const r of compacted) expect(r).toEqual(expected.get(r.id));
    expect(compacted.every((r) => r.error === null)).toBe(true);

    const c2 = await runCli(['--compact', out]);
    expect(c2.code).toBe(0);
    expect(parseJsonl<Row>(c2.stdout)).toEqual(compacted);

    // --compact never overwrites an existing file without --overwrite, and sends nothing.
    const before = read(clean);
    const c3 = await runInWorker(['--compact', out, '-o', clean]);
    expect(c3.code).toBe(2);
    expect(c3.stderr).toMatch(/--overwrite/);
    expect(read(clean)).toBe(before);
    expect(ctx.server.requests).toHaveLength(sent);

    // A run's flags are ignored, and said to be (not refused: a wrapper that always adds -c still compacts).
    const flagged = await runInWorker(['--compact', out, '-m', 'gpt-4o', '--rpm', '60', '--no-stream', '-c', '4', '--base-url', ctx.server.url]);
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.stderr.split('\n')[0]).toBe(
      "llm-batch: --compact copies a results file and sends nothing: it ignores --model, --base-url, --concurrency, --rpm, --stream/--no-stream (a run's flags)",
    );
    expect(parseJsonl<Row>(flagged.stdout)).toEqual(compacted);
    expect((await runInWorker(['--compact', out, '-m', 'gpt-4o', '-q'])).stderr).toBe('');
    expect(ctx.server.requests).toHaveLength(sent);
  });

  it('CSV output resumes too: header once, append-only, last record per id is the success', async () => {
    const { prompts, failing } = tenPrompts('csv');
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.csv');

    expect((await run([input, '-o', out, '-c', '4'])).code).toBe(1);
    const first = read(out);
    const records1 = parseCsv(first, { columns: true }) as Record<string, string>[];
    expect(records1).toHaveLength(10);
    expect(records1.filter((r) => r.error_type === '')).toHaveLength(7);

    const r2 = await run([input, '-o', out, '--resume']);
    expect(r2.code).not.toBe(2);
    expect(ctx.server.requests).toHaveLength(10);
    expect(read(out)).toBe(first);

    expect((await run([input, '-o', out, '--resume', '--retry-failed'])).code).toBe(0);
    for (const p of prompts) expect(ctx.server.countFor(p)).toBe(failing.includes(p) ? 2 : 1);
    const after = read(out);
    expect(after.split('\n').filter((l) => l.startsWith('id,line,prompt,'))).toHaveLength(1);
    const records = parseCsv(after, { columns: true }) as Record<string, string>[];
    // Compacted at the end: one record per id.
    expect(records).toHaveLength(10);
    const last = new Map<string, Record<string, string>>();
    for (const r of records) last.set(r.id!, r);
    expect(last.size).toBe(10);
    for (const r of last.values()) {
      expect(r.error_type).toBe('');
      expect(r.response).toBe(`ECHO ${r.prompt}`);
    }

    // Compacting a CSV gives CSV with one record per id.
    const clean = path.join(ctx.dir, 'clean.csv');
    expect((await runInWorker(['--compact', out, '-o', clean])).code).toBe(0);
    const compacted = parseCsv(read(clean), { columns: true }) as Record<string, string>[];
    expect(compacted).toHaveLength(10);
    expect(compacted.every((r) => r.error_type === '')).toBe(true);
  });

  it.each([
    ['jsonl', 'out.jsonl'],
    ['csv', 'out.csv'],
  ])('a torn last row (%s) is repaired; every prompt ends with exactly one success row', async (_fmt, name) => {
    const prompts = Array.from({ length: 6 }, (_, i) => `torn ${name} q${i}`);
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, name);
    expect((await run([input, '-o', out, '-c', '1'])).code).toBe(0);

    // Keep the header (CSV) and the first 3 rows, then half of the 4th row with no newline.
    const lines = read(out).split('\n');
    const head = name.endsWith('.csv') ? 1 : 0;
    const kept = lines.slice(0, head + 3).join('\n') + '\n';
    const torn = lines[head + 3]!.slice(0, Math.floor(lines[head + 3]!.length / 2));
    expect(torn.length).toBeGreaterThan(5);
    fs.writeFileSync(out, kept + torn);
    ctx.server.reset();

    const r = await run([input, '-o', out, '--resume']);
    expect(r.code).toBe(0);
    const after = read(out);
    expect(after.startsWith(kept)).toBe(true);
    expect(after.split('\n')).not.toContain(torn); // the torn half is gone, not left as a line of its own
    expect(after.endsWith('\n')).toBe(true);
    // Only the 3 prompts without a whole row were sent.
    expect(ctx.server.requests).toHaveLength(3);

    const rows: { prompt: string; ok: boolean }[] = name.endsWith('.csv')
      ? (parseCsv(after, { columns: true }) as Record<string, string>[]).map((r) => ({ prompt: r.prompt!, ok: r.error_type === '' }))
      : parseJsonl<Row>(after).map((r) => ({ prompt: r.prompt, ok: r.error === null }));
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r.ok)).toBe(true);
    expect(rows.map((r) => r.prompt).sort()).toEqual([...prompts].sort());
  });
});

describe('run metadata', () => {
  it('an output without its .meta.json resumes unchecked, says so in one line, and its new metadata does not vouch for the old rows', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['lost q1', 'lost q2']);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await run([input, '-o', out, '-m', 'model-a', '-q'])).code).toBe(0);
    fs.rmSync(`${out}.meta.json`);
    const finished = Math.max(...rowsOf(out).map((row) => Date.parse((row as unknown as { finished_at: string }).finished_at)));
    const r = await run([input, '-o', out, '--resume', '-m', 'model-b', '-t', 'Translate: {{prompt}}']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('run metadata'))).toEqual([
      `llm-batch: ${out} has no run metadata (${out}.meta.json), so this resume could not check that its rows come from this input, model and settings`,
    ]);
    const meta = JSON.parse(read(`${out}.meta.json`)) as Record<string, unknown>;
    expect(meta).toMatchObject({ model: 'model-b', template: 'Translate: {{prompt}}' });
    // Rows finished before this time were made with settings nobody recorded.
    expect(Date.parse(meta.uncheckedBefore as string)).toBeGreaterThanOrEqual(finished);
  });

  it('out.jsonl.meta.json is written next to the output and holds no API key', async () => {
    const input = writePrompts(ctx.dir, 'p.txt', ['m1', 'm2']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await run([input, '-o', out, '-m', 'model-a']);
    expect(r.code).toBe(0);
    const metaFile = `${out}.meta.json`;
    expect(fs.existsSync(metaFile)).toBe(true);
    const text = read(metaFile);
    expect(text).not.toContain(SECRET_KEY);
    expect(text).not.toContain(SECRET_KEY.slice(3, 20));
    const meta = JSON.parse(text) as Record<string, unknown>;
    expect(meta.model).toBe('model-a');
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });

  it.each([
    ['a different -m model', /model: "model-b" was not one of the run's models \("model-a"\)/, (_input: string, _prompts: string[]) => ['-m', 'model-b']],
    [
      'an edited input file',
      /the input .*p\.txt was edited since the output was started \(not just added to/,
      (input: string, prompts: string[]) => {
        fs.writeFileSync(input, ['meta q0', ...prompts.slice(1)].join('\n') + '\n');
        return ['-m', 'model-a'];
      },
    ],
    [
      'a different --system message',
      /system: was \(not set\)|system: was null/,
      (_input: string, _prompts: string[]) => ['-m', 'model-a', '--system', 'be terse'],
    ],
  ])('--resume with %s is refused (exit 2, names it and --force-resume); --force-resume proceeds', async (_name, names, change) => {
    const prompts = ['meta q1', 'meta q2', 'meta q3 [[fault:400*1]]'];
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await run([input, '-o', out, '-m', 'model-a'])).code).toBe(1);
    const first = read(out);
    const sent = ctx.server.requests.length;

    const args = change(input, prompts);
    const refused = await runInWorker([input, '-o', out, '--resume', '--retry-failed', ...args, '--base-url', ctx.server.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(names);
    expect(refused.stderr).toMatch(/--force-resume/);
    expect(read(out)).toBe(first);
    expect(ctx.server.requests).toHaveLength(sent);
    expect(fs.existsSync(`${out}.lock`)).toBe(false);

    const forced = await run([input, '-o', out, '--resume', '--retry-failed', '--force-resume', ...args]);
    expect(forced.code).toBe(0);
    const after = read(out);
    // The answered rows of the first run are kept as they were (the superseded error row is compacted away).
    for (const line of first.split('\n').filter((l) => l !== '' && JSON.parse(l).error === null)) expect(after).toContain(line);
    expect(ctx.server.requests.length).toBeGreaterThan(sent);
    const last = lastById(parseJsonl<Row>(after));
    for (const r of last.values()) expect(r.error).toBeNull();
    // The answered prompts were not sent again (only their ids' last rows count).
    expect(ctx.server.countFor('meta q1')).toBe(1);
    expect(ctx.server.countFor('meta q2')).toBe(1);

    // The metadata now describes the forced run, so a plain resume of it is accepted.
    const again = await run([input, '-o', out, '--resume', ...args]);
    expect(again.code).toBe(0);
  });
});

describe('the output lock', () => {
  it.each([['--resume'], ['--overwrite']])(
    'a second run (%s) on an output in use exits 75 naming the lock and pid, sends nothing, and loses nothing',
    async (flag) => {
      const prompts = Array.from({ length: 8 }, (_, i) => `lock ${flag} q${i}`);
      const input = writePrompts(ctx.dir, 'p.txt', prompts);
      const out = path.join(ctx.dir, 'out.jsonl');
      // The first prompt is answered, the rest wait until the second run was refused: else a loaded
      // machine can finish the first run before the second starts.
      let release!: () => void;
      const rest = new Promise<void>((resolve) => (release = resolve));
      ctx.server.options.hold = ({ prompt }) => (prompt === prompts[0] ? undefined : rest);
      const first = spawnCli([input, '-o', out, '-c', '1', '--base-url', ctx.server.url]);
      const firstDone = waitForExit(first);
      try {
        await until(() => lineCount(out) >= 1, 'the first run to write a row');
        const during = read(out);

        const second = await runInWorker([input, '-o', out, flag, '--base-url', ctx.server.url], {
          env: { OPENAI_API_KEY: 'sk-second-run' },
        });
        expect(second.code).toBe(75);
        expect(second.stderr).toContain(`${out}.lock`);
        expect(second.stderr).toContain(`pid ${first.pid}`);
        expect(ctx.server.requests.filter((r) => r.authorization === 'Bearer sk-second-run')).toHaveLength(0);
        // The refused run changed nothing: what was there is still the start of the file.
        expect(read(out).startsWith(during)).toBe(true);
      } finally {
        delete ctx.server.options.hold;
        release();
        const r1 = await firstDone;
        expect(r1.code).toBe(0);
      }
      expect(fs.existsSync(`${out}.lock`)).toBe(false);
      const rows = rowsOf(out);
      expect(rows).toHaveLength(8);
      for (const p of prompts) expect(ctx.server.countFor(p)).toBe(1);
    },
  );

  it('a second run through a symlink to the output in use is refused too (the lock is on the real file)', async () => {
    const input = writePrompts(
      ctx.dir,
      'p.txt',
      Array.from({ length: 6 }, (_, i) => `linked lock q${i}`),
    );
    const out = path.join(ctx.dir, 'out-2026-12-01.jsonl');
    const link = path.join(ctx.dir, 'latest.jsonl');
    fs.symlinkSync('out-2026-12-01.jsonl', link);
    // Answers wait until the second run was refused: else a loaded machine can finish the first run before.
    const release = holdAnswers(ctx.server);
    const first = spawnCli([input, '-o', out, '-c', '1', '--base-url', ctx.server.url]);
    const firstDone = waitForExit(first);
    try {
      await until(() => ctx.server.requests.length >= 1, 'the first run to send a prompt');
      const second = await runInWorker([input, '-o', link, '--resume', '--base-url', ctx.server.url], { env: { OPENAI_API_KEY: 'sk-second-run' } });
      expect(second.code, second.stderr).toBe(75);
      expect(second.stderr).toContain(`${out}.lock`);
      expect(second.stderr).toContain(`pid ${first.pid}`);
      expect(ctx.server.requests.filter((r) => r.authorization === 'Bearer sk-second-run')).toHaveLength(0);
      expect(fs.existsSync(`${link}.lock`)).toBe(false);
    } finally {
      release();
      expect((await firstDone).code).toBe(0);
    }
    expect(rowsOf(out)).toHaveLength(6);
  });

  it('a stale lock (its pid has exited) does not block, and is removed afterwards', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = dead.pid!;
    await new Promise<void>((resolve) => dead.on('close', () => resolve()));

    const input = writePrompts(ctx.dir, 'p.txt', ['stale q1', 'stale q2']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const lock = `${out}.lock`;
    fs.writeFileSync(lock, JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: new Date(Date.now() - 60_000).toISOString() }) + '\n');

    const r = await run([input, '-o', out]);
    expect(r.code).toBe(0);
    expect(rowsOf(out)).toHaveLength(2);
    expect(fs.existsSync(lock)).toBe(false);
    expect(fs.readdirSync(ctx.dir).filter((f) => f.includes('.lock'))).toEqual([]);
  });

  it.each([
    ['untouched for a day is taken over, in one line', 24 * 3600, 0],
    ['still being touched blocks, exit 75', 20, 75],
  ])('a lock from another host (a killed container) %s', async (_name, ageSeconds, code) => {
    const input = writePrompts(ctx.dir, 'p.txt', ['container q1', 'container q2']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const lock = `${out}.lock`;
    fs.writeFileSync(lock, JSON.stringify({ pid: 7, host: '3f9a2b1c7d8e', startedAt: '2026-11-30T03:15:00.000Z', pidns: 'pid:[4026532999]' }) + '\n');
    const then = new Date(Date.now() - ageSeconds * 1000);
    fs.utimesSync(lock, then, then);
    const r = await run([input, '-o', out]);
    expect(r.code, r.stderr).toBe(code);
    if (code === 0) {
      expect(r.stderr.split('\n').filter((l) => l.includes('took over'))).toEqual([
        `llm-batch: took over the stale lock ${lock} of pid 7 on host 3f9a2b1c7d8e: untouched for 24 h, so that run is gone (a running one touches it every 10 s)`,
      ]);
      expect(rowsOf(out)).toHaveLength(2);
      expect(fs.existsSync(lock)).toBe(false);
    } else {
      expect(r.stderr).toMatch(/locked by pid 7 on host 3f9a2b1c7d8e, .*touched the lock 2\d s ago/);
      expect(ctx.server.requests).toHaveLength(0);
      expect(fs.existsSync(lock)).toBe(true);
    }
  });

  it('a lock held by a live process that is not this run still blocks', async () => {
    // The test process itself is alive: its pid in the lock must be honoured.
    const input = writePrompts(ctx.dir, 'p.txt', ['live q1']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const lock = `${out}.lock`;
    const content = JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() }) + '\n';
    fs.writeFileSync(lock, content);
    const r = await run([input, '-o', out]);
    expect(r.code).toBe(75);
    expect(r.stderr).toContain(lock);
    expect(r.stderr).toContain(`pid ${process.pid}`);
    expect(ctx.server.requests).toHaveLength(0);
    expect(read(lock)).toBe(content);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('stable ids', () => {
  it('text input without ids gets <line>-<hash> ids; editing one line changes only that line id', async () => {
    const prompts = ['id alpha', 'id beta', 'id gamma', 'id delta'];
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const idsByLine = async (): Promise<Map<number, string>> => {
      const r = await run([input, '-c', '1']);
      expect(r.code).toBe(0);
      return new Map(parseJsonl<Row>(r.stdout).map((row) => [row.line, row.id]));
    };

    const before = await idsByLine();
    expect(before.size).toBe(4);
    for (const [line, id] of before) expect(id).toMatch(new RegExp(`^${line}-[0-9a-f]{8}$`));

    // Same input, same ids.
    expect(await idsByLine()).toEqual(before);

    // Edit line 2 only.
    fs.writeFileSync(input, ['id alpha', 'id beta EDITED', 'id gamma', 'id delta'].join('\n') + '\n');
    const after = await idsByLine();
    expect(after.size).toBe(4);
    for (const line of [1, 3, 4]) expect(after.get(line)).toBe(before.get(line));
    expect(after.get(2)).not.toBe(before.get(2));
    expect(after.get(2)).toMatch(/^2-[0-9a-f]{8}$/);
  });

  it('after editing one line, --resume --force-resume re-sends only that line', async () => {
    const prompts = ['ed alpha', 'ed beta', 'ed gamma'];
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await run([input, '-o', out])).code).toBe(0);
    fs.writeFileSync(input, ['ed alpha', 'ed beta EDITED', 'ed gamma'].join('\n') + '\n');
    const r = await run([input, '-o', out, '--resume', '--force-resume']);
    expect(r.code).toBe(0);
    expect(ctx.server.requests.map((q) => q.prompt)).toEqual([...prompts, 'ed beta EDITED']);
    const counts = successCounts(rowsOf(out));
    expect(counts.get('ed beta EDITED')).toBe(1);
    expect(counts.get('ed alpha')).toBe(1);
  });
});

describe('--resume of a classic Mac file (lines end in CR) whose first CR comes late', () => {
  it('takes lines appended to it: the check reads as far as the line-break rule needs, not a fixed head', async () => {
    // 500,000 characters before the first CR: a head of 512 KB could not tell the file's line breaks,
    // and the resume refused a good append as "its last line had no newline".
    const input = path.join(ctx.dir, 'late-cr.txt');
    fs.writeFileSync(input, `${'A'.repeat(500_000)}\rsecond\r${'B'.repeat(30_000)}\r`);
    const out = path.join(ctx.dir, 'late-cr.jsonl');
    const args = [input, '--base-url', ctx.server.url, '-o', out, '--no-cache', '-q'];
    expect((await runInWorker(args)).code).toBe(0);
    fs.appendFileSync(input, 'new\r');
    const r = await runInWorker([...args, '--resume']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parseJsonl<{ line: number; error: unknown }>(fs.readFileSync(out, 'utf8')).sort((a, b) => a.line - b.line);
    expect(rows.map((row) => [row.line, row.error])).toEqual([
      [1, null],
      [2, null],
      [3, null],
      [4, null],
    ]);
  });
});
