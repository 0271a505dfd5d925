/**
 * An output that fills up mid-run (a full disk) is a stop like Ctrl-C or `| head -1`, not a refusal:
 * requests were sent and rows written, so --summary-json (`"stopped": "output_failed"`, `resumeHint`),
 * --report and the "to finish the rest" command are still written, with exit 2; and the printed
 * command finishes the run, every id once. Through the BUILT CLI against the mock server (its Batch
 * API for --batch-api). The full disk is `ulimit -f` (bash counts 1024-byte blocks): writes past the
 * cap fail with EFBIG as they would with ENOSPC, and the small side files still fit.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { BIN, SECRET_KEY, isolatedCacheDir, parseJsonl, waitForExit, writePrompts, type CliResult } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';
import { collect } from '../helpers/collect.js';
import { readResults } from '../../src/output/index.js';
import { jsonlOf, resultRow } from '../helpers/report-rows.js';
import type { RunSummary } from '../../src/ui/summary.js';

const ctx = useServerAndCaseDir('llm-batch-full-disk-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 20 };
});
afterEach(() => {
  delete ctx.server.options.reply;
});

/** 32 KB per file: a few rows of the ~4 KB each these prompts make. */
const CAP_BLOCKS = 32;
const PROMPTS = Array.from({ length: 120 }, (_, i) => `full disk ${i} ${'x'.repeat(2000)}`);

/** A bash line in the case's directory, with `llm-batch` the built CLI, capped by `ulimit -f` when `cap` is given. */
function shell(line: string, cap?: number): Promise<CliResult> {
  const limit = cap === undefined ? '' : `ulimit -f ${cap}; `;
  const child = spawn('bash', ['-c', `llm-batch() { "${process.execPath}" "${BIN}" "$@"; }; ${limit}${line}`], {
    cwd: ctx.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_CACHE_DIR: isolatedCacheDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return waitForExit(child);
}

type Summary = RunSummary & { pendingBatches?: number };
const summaryOf = (name: string) => JSON.parse(fs.readFileSync(path.join(ctx.dir, name), 'utf8')) as Summary;
/**
 * Runs `line` under the cap with the answer to `first` held until 24 prompts were asked: with
 * --order input the rows behind it wait, then go out together with it, one append of ~80 KB over
 * the 32 KB cap.
 */
async function withFirstHeld(first: string, line: string): Promise<CliResult> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  ctx.server.options.hold = ({ prompt }) => (prompt === first ? held : undefined);
  try {
    const running = shell(line, CAP_BLOCKS);
    await until(() => ctx.server.requests.length >= 24, '24 prompts asked behind the held one');
    release();
    return await running;
  } finally {
    release();
    delete ctx.server.options.hold;
  }
}

/** The whole rows of a JSONL output (a torn last line left out). */
const wholeRows = (name: string) => {
  const text = fs.readFileSync(path.join(ctx.dir, name), 'utf8');
  return parseJsonl<{ id: string; error: unknown }>(text.slice(0, text.lastIndexOf('\n') + 1));
};

describe('an output that fills up mid-run', () => {
  it('live: exit 2, the summary says output_failed with its resumeHint, the command is printed under -q and finishes the rest', async () => {
    writePrompts(ctx.dir, 'p.txt', PROMPTS);
    // -c 4: rows that finish together are written with one append; one that fails part-way keeps
    // the whole rows that fit and cuts off the torn one (the tests below hold rows back to make one).
    const base = `llm-batch p.txt --base-url ${ctx.server.url} --no-cache -c 4 -o out.jsonl --summary-json s.json -q`;
    const first = await shell(base, CAP_BLOCKS);
    expect(first.code, first.stderr).toBe(2);
    const command = `${base} --resume`;
    expect(stderrLines(first)).toEqual([
      expect.stringMatching(
        /^llm-batch: Cannot write to output file out\.jsonl: EFBIG: file too large, write; every row written before it is kept: raise the file size limit \(ulimit -f\), then finish the rest with the command below$/,
      ),
      `llm-batch: to finish the rest, run: ${command}`,
    ]);
    const summary = summaryOf('s.json');
    const written = wholeRows('out.jsonl');
    expect(summary.stopped).toBe('output_failed');
    expect(summary.resumeHint).toBe(command);
    expect(written.length).toBeGreaterThan(0);
    // The rows whose write failed are not in the file: not "ok", but not run (the command asks them again).
    expect(summary.ok + summary.failed).toBe(written.length);
    expect(summary.notRun).toBe(PROMPTS.length - written.length);
    // Nor is a torn part of them: the file ends with its last whole row.
    expect(fs.readFileSync(path.join(ctx.dir, 'out.jsonl'), 'utf8')).toMatch(/\}\n$/);
    const sentFirst = ctx.server.requests.length;
    expect(sentFirst).toBeLessThan(PROMPTS.length); // it stopped sending

    // Room again: the printed command asks only for what has no row, and leaves one row per id.
    const rest = await shell(summary.resumeHint!);
    expect(rest.code, rest.stderr).toBe(0);
    expect(ctx.server.requests.length - sentFirst).toBe(PROMPTS.length - written.length);
    const ids = wholeRows('out.jsonl').map((row) => row.id);
    expect(new Set(ids).size).toBe(PROMPTS.length);
    expect(ids).toHaveLength(PROMPTS.length);
  });

  it.each(['jsonl', 'csv'] as const)(
    'live, %s: of rows written together, the whole ones that fit stay, and the resume asks only the others',
    async (format) => {
      const prompts = PROMPTS.slice(0, 40);
      writePrompts(ctx.dir, 'p.txt', prompts);
      // Answers over several lines: CSV quotes them, with the newlines inside the field.
      ctx.server.options.reply = (prompt) => `ECHO\n${prompt}\nend`;
      const out = `out.${format}`;
      const base = `llm-batch p.txt --base-url ${ctx.server.url} --no-cache -c 4 --order input -o ${out} --summary-json s.json -q`;
      const first = await withFirstHeld(prompts[0]!, base);
      // The same stop as a failed append that kept nothing.
      expect(first.code, first.stderr).toBe(2);
      const command = `${base} --resume`;
      expect(stderrLines(first)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^llm-batch: Cannot write to output file out\\.${format}: EFBIG: file too large, write; every row written before it is kept: raise the file size limit \\(ulimit -f\\), then finish the rest with the command below$`,
          ),
        ),
        `llm-batch: to finish the rest, run: ${command}`,
      ]);
      const file = path.join(ctx.dir, out);
      const text = fs.readFileSync(file, 'utf8');
      const written = await collect(readResults(file, format));
      // The rows that fit are kept (in input order, the first ones), and the file ends with the last of them.
      expect(written.length).toBeGreaterThan(0);
      expect(written.map((row) => row.prompt)).toEqual(prompts.slice(0, written.length));
      // Its last line is a row's end (a CSV record cut after a newline in its answer would end "ECHO\n").
      expect(text).toMatch(/end"?,.*\n$/);
      // As many as fit: the room left is less than a row.
      const header = format === 'csv' ? Buffer.byteLength(text.slice(0, text.indexOf('\n') + 1)) : 0;
      const size = Buffer.byteLength(text);
      expect(CAP_BLOCKS * 1024 - size).toBeLessThan((size - header) / written.length);
      const summary = summaryOf('s.json');
      expect(summary).toMatchObject({ stopped: 'output_failed', resumeHint: command, ok: written.length, failed: 0, notRun: prompts.length - written.length });

      // Room again: the rows kept are not asked again (each of them was paid for once).
      const sentFirst = ctx.server.requests.length;
      const rest = await shell(command);
      expect(rest.code, rest.stderr).toBe(0);
      expect(ctx.server.requests.length - sentFirst).toBe(prompts.length - written.length);
      for (const row of written) expect(ctx.server.countFor(row.prompt!)).toBe(1);
      const all = await collect(readResults(file, format));
      expect(all.map((row) => row.prompt)).toEqual(prompts);
    },
  );

  it.each(['jsonl', 'csv'] as const)(
    'live, stdout redirected to a %s file (no -o): cut back to its last whole row, as -o is; the summary counts the rows it holds',
    async (format) => {
      writePrompts(ctx.dir, 'p.txt', PROMPTS.slice(0, 40));
      // Through process.stdout, a short write near the cap went unseen: the row was counted, its torn part left.
      const r = await shell(`llm-batch p.txt --base-url ${ctx.server.url} --no-cache -c 4 -f ${format} --summary-json s.json -q > rows.${format}`, CAP_BLOCKS);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: 'llm-batch: Cannot write output: EFBIG: file too large, write\n' });
      const file = path.join(ctx.dir, `rows.${format}`);
      expect(fs.readFileSync(file, 'utf8')).toMatch(/\n$/);
      const written = await collect(readResults(file, format));
      expect(written.length).toBeGreaterThan(0);
      const summary = summaryOf('s.json');
      expect(summary).toMatchObject({ stopped: 'output_failed', ok: written.length, failed: 0, notRun: 40 - written.length, resumeHint: null });
    },
  );

  it('live, --order input: rows finished behind a slower one when the output failed are not counted, but among notRun', async () => {
    const prompts = PROMPTS.slice(0, 40);
    writePrompts(ctx.dir, 'p.txt', prompts);
    // The first 30 rows go out together once prompts[0] is answered (~120 KB over the 32 KB cap);
    // those after prompts[30], held until the end, wait behind it: the failed output drops them unwritten.
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const never = new Promise<void>(() => {});
    ctx.server.options.hold = ({ prompt }) => (prompt === prompts[0] ? first : prompt === prompts[30] ? never : undefined);
    try {
      const running = shell(`llm-batch p.txt --base-url ${ctx.server.url} --no-cache -c 4 --order input -o out.jsonl --summary-json s.json -q`, CAP_BLOCKS);
      // Every prompt asked: with two slots held, those after prompts[30] but the last two in flight are answered.
      await until(() => ctx.server.requests.length >= prompts.length, 'every prompt asked');
      release();
      const r = await running;
      expect(r.code, r.stderr).toBe(2);
    } finally {
      release();
      delete ctx.server.options.hold;
    }
    const written = wholeRows('out.jsonl');
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(30);
    expect(summaryOf('s.json')).toMatchObject({ stopped: 'output_failed', ok: written.length, failed: 0, notRun: prompts.length - written.length });
  });

  it('live, --report of a text output: the copy of the rows filling up first counts none of the group as written', async () => {
    const prompts = PROMPTS.slice(0, 40);
    writePrompts(ctx.dir, 'p.txt', prompts);
    // The report's copy of the rows (JSONL, ~4 KB a row, in the temp dir under the same cap) is
    // written before the output (~2 KB a row): it keeps the rows of the group that fit, the output none.
    const first = await withFirstHeld(
      prompts[0]!,
      `llm-batch p.txt --base-url ${ctx.server.url} --no-cache -c 4 --order input -o out.txt --report r.html --summary-json s.json -q`,
    );
    expect(first.code, first.stderr).toBe(2);
    // A text row is `[id] answer` and a blank line.
    const rows = fs.readFileSync(path.join(ctx.dir, 'out.txt'), 'utf8').match(/^\[[^\]\n]*\] ECHO/gm) ?? [];
    expect(summaryOf('s.json')).toMatchObject({ stopped: 'output_failed', ok: rows.length, failed: 0 });
  });

  it.runIf(fs.existsSync('/dev/full'))('live into a stream (-o /dev/full): the error line alone, and --summary-json and --report still written', async () => {
    writePrompts(ctx.dir, 'p.txt', PROMPTS.slice(0, 20));
    const r = await shell(`llm-batch p.txt --base-url ${ctx.server.url} --no-cache -o /dev/full --summary-json s.json --report r.html`);
    expect(r.code, r.stderr).toBe(2);
    const lines = stderrLines(r);
    // Rows that went into /dev/full are nowhere: no "N ok" line, no command (a stream cannot be resumed).
    expect(lines[0]).toBe('llm-batch: Cannot write to output /dev/full: ENOSPC: no space left on device, write');
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^llm-batch: report of \d+ rows? written to r\.html$/)]);
    const summary = summaryOf('s.json');
    expect(summary.stopped).toBe('output_failed');
    expect(summary.resumeHint).toBeNull();
    // The stream took the first rows at once and failed them after: not one of them counts as written.
    expect(summary).toMatchObject({ ok: 0, failed: 0, notRun: 20 });
    expect(fs.readFileSync(path.join(ctx.dir, 'r.html'), 'utf8')).toContain('output_failed');
  });

  it('--batch-api: exit 2, the summary says output_failed with pendingBatches and its resumeHint; that command collects the rest', async () => {
    writePrompts(ctx.dir, 'p.txt', PROMPTS.slice(0, 60));
    // Request files of 10 lines (~25 KB each) fit under the cap; the rows of one batch do not.
    const base = `llm-batch p.txt --base-url ${ctx.server.url} --no-cache --batch-api --poll 0.05 --batch-size 10 -o out.jsonl --summary-json s.json -q`;
    const first = await shell(base, CAP_BLOCKS);
    expect(first.code, first.stderr).toBe(2);
    const summary = summaryOf('s.json');
    const command = `${base} --resume`;
    expect(summary.stopped).toBe('output_failed');
    expect(summary.resumeHint).toBe(command);
    expect(summary.pendingBatches).toBeGreaterThanOrEqual(1);
    const lines = stderrLines(first);
    expect(lines[0]).toMatch(/^llm-batch: Cannot write to output file out\.jsonl: EFBIG: file too large, write; every row written before it is kept/);
    // Said under -q, as live says its command: the hourly cron line did not go as planned.
    expect(lines.at(-1)).toBe(`llm-batch: ${summary.pendingBatches} batches are still pending; to continue, run: ${command}`);
    const written = wholeRows('out.jsonl');
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(60);
    expect(summary.ok + summary.failed).toBe(written.length);
    expect(fs.readFileSync(path.join(ctx.dir, 'out.jsonl'), 'utf8')).toMatch(/\}\n$/);

    const rest = await shell(command);
    expect(rest.code, rest.stderr).toBe(0);
    const ids = wholeRows('out.jsonl').map((row) => row.id);
    expect(new Set(ids).size).toBe(60);
    expect(ids).toHaveLength(60);
  });

  it('--batch-api answering from the cache: the counts are the rows the file holds', async () => {
    writePrompts(ctx.dir, 'p.txt', PROMPTS.slice(0, 30));
    const run = (out: string) => `llm-batch p.txt --base-url ${ctx.server.url} --cache-dir cache --batch-api --poll 0.05 -o ${out} --summary-json s.json -q`;
    expect((await shell(run('bought.jsonl'))).code).toBe(0);
    // Every answer is in the cache now: the rows are written before any batch, until the disk is full.
    const first = await shell(run('out.jsonl'), CAP_BLOCKS);
    expect(first.code, first.stderr).toBe(2);
    const summary = summaryOf('s.json');
    const written = wholeRows('out.jsonl');
    expect(summary.stopped).toBe('output_failed');
    expect(written.length).toBeGreaterThan(0);
    expect(summary).toMatchObject({ ok: written.length, fromCache: written.length, failed: 0 });
  });

  it('--batch-api: a request file that does not fit is the same stop, not an internal error; the command then plans it again', async () => {
    writePrompts(ctx.dir, 'p.txt', PROMPTS.slice(0, 30));
    // 30 lines of ~2 KB in one request file: over the cap before anything is uploaded.
    const base = `llm-batch p.txt --base-url ${ctx.server.url} --no-cache --batch-api --poll 0.05 -o out.jsonl --summary-json s.json -q`;
    const first = await shell(base, CAP_BLOCKS);
    expect(first.code, first.stderr).toBe(2);
    expect(stderrLines(first)[0]).toMatch(
      /^llm-batch: cannot write the batches' request file out\.jsonl\.batch\.d\/chunk-00001\.jsonl: EFBIG: file too large, write; /,
    );
    expect(ctx.server.batchState.uploaded).toHaveLength(0);
    const summary = summaryOf('s.json');
    expect(summary).toMatchObject({ stopped: 'output_failed', ok: 0, resumeHint: `${base} --resume` });

    const rest = await shell(summary.resumeHint!);
    expect(rest.code, rest.stderr).toBe(0);
    expect(new Set(wholeRows('out.jsonl').map((row) => row.id)).size).toBe(30);
  });
});

describe('a file written whole (--compact, merge, report) that does not fit', () => {
  it('is left as it was, named as asked (not its temp file, gone), and says so; report did not crash', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => resultRow(i, { response: 'x'.repeat(2000) }));
    fs.writeFileSync(path.join(ctx.dir, 'big.jsonl'), jsonlOf(rows));
    fs.writeFileSync(path.join(ctx.dir, 'old.jsonl'), 'kept\n');
    const cases = [
      [
        'llm-batch --compact big.jsonl -o old.jsonl --overwrite',
        /^llm-batch: Cannot write to output file old\.jsonl: EFBIG: file too large, write: nothing was written to old\.jsonl \(it is as it was\)$/,
      ],
      [
        'llm-batch merge big.jsonl -o m.jsonl -q',
        /^llm-batch: Cannot write to output file m\.jsonl: EFBIG: file too large, write: nothing was written to m\.jsonl \(it is as it was\)$/,
      ],
      [
        'llm-batch report big.jsonl -o r.html -q',
        /^llm-batch: cannot write the report: EFBIG: file too large, write: nothing was written to r\.html \(it is as it was\)$/,
      ],
    ] as const;
    for (const [line, said] of cases) {
      const r = await shell(line, CAP_BLOCKS);
      expect(r.code, r.stderr).toBe(2);
      expect(
        stderrLines(r).filter((l) => !l.includes('no run metadata')),
        line,
      ).toEqual([expect.stringMatching(said)]);
    }
    expect(fs.readFileSync(path.join(ctx.dir, 'old.jsonl'), 'utf8')).toBe('kept\n');
    // A resume's compaction of its output names the output, not its temp file (removed by then).
    fs.writeFileSync(path.join(ctx.dir, 'in.txt'), `${Array.from({ length: 40 }, (_, i) => `p${i}`).join('\n')}\n`);
    expect((await shell('llm-batch in.txt --mock -o r.jsonl -q')).code).toBe(0);
    const [first] = fs.readFileSync(path.join(ctx.dir, 'r.jsonl'), 'utf8').split('\n');
    fs.appendFileSync(path.join(ctx.dir, 'r.jsonl'), `${first}\n${JSON.stringify({ ...JSON.parse(first!), response: 'y'.repeat(40_000) })}\n`);
    const resumed = await shell('llm-batch in.txt --mock -o r.jsonl --resume -q', CAP_BLOCKS);
    expect(resumed.code, resumed.stderr).toBe(2);
    expect(stderrLines(resumed)[0]).toMatch(/^llm-batch: r\.jsonl was not compacted \(EFBIG: file too large, write\): every row is kept/);
    expect(fs.readdirSync(ctx.dir).filter((f) => /^(m\.jsonl|r\.html)|\.tmp$/.test(f))).toEqual([]);
  });
});
