/**
 * `merge`, `--compact` and a resume's closing compaction read whole results files, twice: minutes
 * for multi-GB ones, and a terminal showed nothing meanwhile. On a terminal they now show one line
 * (`compacting out.jsonl: 50%`), erased when done; not with -q, not off a terminal, and not while
 * the rows go to that terminal. The CLI's clock runs fast (hastyClock), so that the line, redrawn
 * at most 4 times a second, shows for small files. Spawns the BUILT CLI on a pty (`script`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hastyClock } from '../helpers/hasty-clock.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { runPty, startPty } from '../helpers/run-pty.js';
import { jsonlOf, resultRow } from '../helpers/report-rows.js';
import { mockShardOutputs } from '../helpers/shard-outputs.js';

const root = tempDir('llm-batch-read-progress-');
afterAll(() => root.cleanup());
const dir = root.dir;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  await mockShardOutputs(
    dir,
    Array.from({ length: 6 }, (_, i) => `prompt ${i}`),
  );
});

/** The progress lines the terminal was sent. */
const drawn = (raw: string, label: string) =>
  raw
    .split(/\r|\n/)
    .map((l) => l.replace(/^\x1b\[K/, ''))
    .filter((l) => l.startsWith(label));

describe.each([
  ['merge', () => ['merge', file('out-1.jsonl'), file('out-2.jsonl'), '-o', file('all.jsonl'), '--overwrite'], 'merging 2 files: '],
  ['--compact', () => ['--compact', file('out-1.jsonl'), '-o', file('one.jsonl'), '--overwrite'], `compacting ${file('out-1.jsonl')}: `],
])('%s on a terminal', (_name, args, label) => {
  const env = () => ({ NODE_OPTIONS: hastyClock(dir, 300) });

  it('shows how far it has read, then erases the line before its last word', async () => {
    const r = await runPty(args(), { env: env(), cols: 200 });
    expect(r.code, r.raw).toBe(0);
    const lines = drawn(r.raw, label);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^[^\x1b]*: \d+%(, \S+ left)?$/);
    expect(r.raw).toMatch(/\r\x1b\[Kllm-batch: (merged|compacted) /);
    expect(r.screen.join('\n')).not.toContain(label);
  });

  it('with -q: no line', async () => {
    const r = await runPty([...args(), '-q'], { env: env() });
    expect(r.code, r.raw).toBe(0);
    expect(drawn(r.raw, label)).toEqual([]);
    expect(r.raw).not.toContain('\x1b[K');
  });

  it('off a terminal: no line', async () => {
    const r = await runCli(args(), { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(label);
    expect(r.stderr).not.toMatch(/\r|\x1b/);
  });
});

describe('the rows on the terminal', () => {
  it.each([
    ['merge', ['merge', 'out-1.jsonl', 'out-2.jsonl', '-o', '-'], 'merging'],
    ['--compact', ['--compact', 'out-1.jsonl'], 'compacting'],
  ])('%s: no line between them', async (_name, args, label) => {
    const r = await runPty(
      args.map((a) => (a.startsWith('out-') ? file(a) : a)),
      { env: { NODE_OPTIONS: hastyClock(dir, 300) } },
    );
    expect(r.code, r.raw).toBe(0);
    expect(r.raw).not.toContain(label);
  });
});

describe('a resume that compacts its output, on a terminal', () => {
  it('shows the compaction where the bar was, and the summary after it', async () => {
    const out = file('resumed.jsonl');
    fs.copyFileSync(file('out-1.jsonl'), out);
    fs.copyFileSync(file('out-1.jsonl.meta.json'), `${out}.meta.json`);
    // A superseded row, which the resume compacts away, and a prompt without a row, which it asks.
    const [first, ...rest] = fs.readFileSync(out, 'utf8').trim().split('\n');
    fs.writeFileSync(out, `${[first, ...rest.slice(0, -1), first].join('\n')}\n`);
    const r = await runPty([file('p.txt'), '--mock', '--shard', '1/2', '-o', out, '--resume'], { env: { NODE_OPTIONS: hastyClock(dir, 300) }, cols: 200 });
    expect(r.code, r.raw).toBe(0);
    expect(drawn(r.raw, `compacting ${out}: `).length).toBeGreaterThan(0);
    const screen = r.screen.join('\n');
    expect(screen).toMatch(/1 superseded row left by an earlier run dropped \(compacted\)/);
    expect(screen).toMatch(/1 ok, 0 failed, \d+ already done/);
    // The bar (or the spinner) is gone for good before the compaction's line is drawn in its place,
    // which is erased before the next line.
    const compacting = r.raw.slice(r.raw.indexOf(`compacting ${out}`));
    expect(compacting).not.toMatch(/\x1b\[1G|in flight/);
    expect(compacting).toMatch(/\r\x1b\[Kllm-batch: \S+: 1 superseded row/);
    expect(screen).not.toContain('compacting');
  });
});

describe('Ctrl-C while the line is drawn', () => {
  // About 11 MB each: read long enough for the line to be drawn and a Ctrl-C to come while it is.
  const big = (name: string) => {
    const answer = 'lorem ipsum dolor sit amet '.repeat(16);
    const at = file(name);
    fs.writeFileSync(at, jsonlOf(Array.from({ length: 20_000 }, (_, i) => resultRow(i, { response: answer }))));
    return at;
  };

  it.each([
    ['--compact', (): string[] => ['--compact', big('big-c.jsonl'), '-o', file('big-c.out.jsonl')], /compacting \S*big-c\.jsonl: \d+%/, 'big-c.out.jsonl'],
    ['merge', (): string[] => ['merge', big('big-m1.jsonl'), big('big-m2.jsonl'), '-o', file('big-m.out.jsonl')], /merging 2 files: \d+%/, 'big-m.out.jsonl'],
  ])('%s: the interrupt says so on a line of its own, and the line is gone', async (_name, args, reading, out) => {
    const session = startPty(args(), { cols: 200 });
    await session.waitFor(reading);
    session.type('\x03');
    const r = await session.done;
    expect(r.code, r.raw).toBe(130);
    const screen = r.screen.filter((line) => line.trim() !== '');
    // (merge says first that these files have no run metadata, each on a line of its own.)
    expect(screen.at(-1)).toMatch(new RegExp(`^llm-batch: interrupted: nothing was written to \\S+${out.replace('.', '\\.')} \\(it is as it was\\)$`));
    expect(screen.join('\n')).not.toMatch(reading);
    expect(fs.existsSync(file(out))).toBe(false);
  });
});
