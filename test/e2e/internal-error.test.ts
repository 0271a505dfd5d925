/**
 * An error no code path expected (a bug) in the middle of a run. It exited 1, which says "some
 * prompts failed, their rows carry the errors", with a stack and nothing more, and left
 * --summary-json as the `"running"` placeholder, `exitCode` null, which a cron wrapper reads as a
 * run still going. Now: exit 70, the stack (no key) and a line that says the rows so far are kept
 * and gives the command that sends the rest; the summary says `"stopped": "internal_error"` with
 * the figures so far, its `ok` the rows the output holds. The bug is planted at a known row
 * (bugOnStringify), the run is the BUILT CLI against the in-repo mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, SECRET_KEY, writePrompts } from '../helpers/run-cli.js';
import { bugInTimer, bugOnStringify } from '../helpers/plant-bug.js';
import type { ResultRow } from '../../src/types.js';

const ctx = useServerAndCaseDir('llm-batch-internal-error-');

const prompts = Array.from({ length: 40 }, (_, i) => (i === 24 ? 'PLANTED' : `p${i}`));

describe('a bug mid-run', () => {
  it.each([[[]], [['--batch-api', '--poll', '0.05']]])(
    '%j: exit 70, the rows so far kept and counted, the summary says so, --resume sends the rest',
    async (runFlags) => {
      const input = writePrompts(ctx.dir, 'in.txt', prompts);
      const out = path.join(ctx.dir, 'out.jsonl');
      const summaryJson = path.join(ctx.dir, 'summary.json');
      const args = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', '-c', '1', '--summary-json', summaryJson, ...runFlags];

      const r = await runCli(args, { env: { NODE_OPTIONS: bugOnStringify(ctx.dir, 'prompt', 'PLANTED') } });
      expect(r.code, r.stderr).toBe(70);
      expect(r.stderr).toMatch(/^llm-batch: internal error: TypeError: planted bug\n {4}at /m);
      const resume = `llm-batch ${args.join(' ')} --resume`;
      expect(r.stderr).toContain(
        `llm-batch: stopped by the error above (please report it); the rows written so far are kept; to send the rest, run: ${resume}\n`,
      );
      expect(r.stderr).not.toContain(SECRET_KEY);
      const kept = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
      expect(kept.length).toBeLessThan(prompts.length);
      expect(kept.every((row) => row.error === null && row.prompt !== 'PLANTED')).toBe(true);
      const summary = JSON.parse(fs.readFileSync(summaryJson, 'utf8')) as Record<string, unknown>;
      expect(summary).toMatchObject({
        stopped: 'internal_error',
        exitCode: 70,
        error: 'internal error: TypeError: planted bug',
        ok: kept.length,
        failed: 0,
        resumeHint: resume,
      });

      const again = await runCli([...args, '--resume']);
      expect(again.code, again.stderr).toBe(0);
      const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
      expect(rows.map((row) => row.prompt).sort()).toEqual([...prompts].sort());
      expect(JSON.parse(fs.readFileSync(summaryJson, 'utf8'))).toMatchObject({ stopped: null, exitCode: 0 });
    },
  );
  it("in the run's own summary, before it is written: the summary says so all the same, not the placeholder", async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryJson = path.join(ctx.dir, 'summary.json');
    const args = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', '--summary-json', summaryJson];
    const r = await runCli(args, { env: { NODE_OPTIONS: bugOnStringify(ctx.dir, 'stopped', null) } });
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(/^llm-batch: internal error: TypeError: planted bug\n/m);
    expect(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'))).toHaveLength(3);
    expect(JSON.parse(fs.readFileSync(summaryJson, 'utf8'))).toMatchObject({ stopped: 'internal_error', exitCode: 70, ok: 3, failed: 0 });
  });
  it("in a timer's callback, where no promise of the run awaits it: the same, its words without the key", async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summaryJson = path.join(ctx.dir, 'summary.json');
    const args = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', '-c', '1', '--summary-json', summaryJson, '--progress', '0.5'];
    // Each answer 200 ms: the progress line's timer fires before the last row.
    ctx.server.options.latencyMs = 200;
    const r = await runCli(args, { env: { NODE_OPTIONS: bugInTimer(ctx.dir, `planted bug ${SECRET_KEY}`) } });
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(/^llm-batch: internal error: TypeError: planted bug \[redacted\]\n/m);
    expect(r.stderr).toContain(`to send the rest, run: llm-batch ${args.join(' ')} --resume\n`);
    expect(r.stderr).not.toContain(SECRET_KEY);
    const kept = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(kept.length).toBeLessThan(prompts.length);
    const summary = fs.readFileSync(summaryJson, 'utf8');
    expect(summary).not.toContain(SECRET_KEY);
    expect(JSON.parse(summary)).toMatchObject({
      stopped: 'internal_error',
      exitCode: 70,
      error: 'internal error: TypeError: planted bug [redacted]',
      ok: kept.length,
    });
    ctx.server.options.latencyMs = 0;
    const again = await runCli([...args, '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'))).toHaveLength(prompts.length);
  });
  it("in a timer's callback with rows to stdout and --report: the report's copy of the rows is removed all the same", async () => {
    const input = writePrompts(ctx.dir, 'in.txt', prompts);
    const tmp = path.join(ctx.dir, 'tmp');
    fs.mkdirSync(tmp);
    ctx.server.options.latencyMs = 200;
    const args = [input, '--base-url', ctx.server.url, '-m', 'm', '-c', '1', '--report', path.join(ctx.dir, 'r.html'), '--progress', '0.5'];
    const r = await runCli(args, { env: { TMPDIR: tmp, NODE_OPTIONS: bugInTimer(ctx.dir, 'planted bug') } });
    expect(r.code, r.stderr).toBe(70);
    expect(parseJsonl<ResultRow>(r.stdout).length).toBeGreaterThan(0);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});

/**
 * A bug in a command other than a run. `merge`, `status` and `cancel` said it as one of their own
 * failures: "llm-batch: MESSAGE", exit 1 (some prompts failed), the key not taken out; `report`'s
 * was "cannot write the report", exit 2, and a run's `--report` "cannot write --report FILE". Now
 * each is exit 70 (the run's rows kept), the key taken out.
 */
describe('a bug outside a run', () => {
  const words = `planted bug ${SECRET_KEY}`;
  const results = () => writePrompts(ctx.dir, 'in.txt', ['a', 'PLANTED', 'c']);
  it('in merge: exit 70, its stack without the key, -o left unmade', async () => {
    const input = results();
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, '--base-url', ctx.server.url, '-m', 'm']);
    expect(first.code, first.stderr).toBe(0);
    const merged = path.join(ctx.dir, 'merged.jsonl');
    const r = await runCli(['merge', out, '-o', merged], { env: { NODE_OPTIONS: bugOnStringify(ctx.dir, 'prompt', 'PLANTED', words) } });
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(/^llm-batch: internal error: TypeError: planted bug \[redacted\]\n {4}at /);
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(fs.existsSync(merged)).toBe(false);
    expect(fs.readdirSync(ctx.dir).filter((name) => name.includes('.tmp'))).toEqual([]);
  });
  it('in report: exit 70, not "cannot write the report", and no report file', async () => {
    const input = results();
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, '--base-url', ctx.server.url, '-m', 'm'])).code).toBe(0);
    const html = path.join(ctx.dir, 'r.html');
    const r = await runCli(['report', out, '-o', html], { env: { NODE_OPTIONS: bugOnStringify(ctx.dir, 'goneBatches', 0, words) } });
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(/^llm-batch: internal error: TypeError: planted bug \[redacted\]\n {4}at /);
    expect(r.stderr).not.toContain('cannot write the report');
    expect(r.stderr).not.toContain(SECRET_KEY);
    expect(fs.existsSync(html)).toBe(false);
  });
  it.each([[[]], [['--batch-api', '--poll', '0.05']]])(
    "%j in the run's --report: exit 70 and said so, every row kept, the summary says it",
    async (runFlags) => {
      const input = results();
      const out = path.join(ctx.dir, 'out.jsonl');
      const html = path.join(ctx.dir, 'r.html');
      const summaryJson = path.join(ctx.dir, 'summary.json');
      const args = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'm', '--report', html, '--summary-json', summaryJson, ...runFlags];
      const r = await runCli(args, { env: { NODE_OPTIONS: bugOnStringify(ctx.dir, 'goneBatches', 0, words) } });
      expect(r.code, r.stderr).toBe(70);
      const line = `internal error while writing --report ${html} (please report it; the rows are kept): TypeError: planted bug [redacted]`;
      expect(r.stderr).toContain(`llm-batch: ${line}\n`);
      expect(r.stderr).not.toContain(SECRET_KEY);
      expect(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8')).filter((row) => row.error === null)).toHaveLength(3);
      expect(fs.existsSync(html)).toBe(false);
      const summary = fs.readFileSync(summaryJson, 'utf8');
      expect(summary).not.toContain(SECRET_KEY);
      expect(JSON.parse(summary)).toMatchObject({ exitCode: 70, error: line, ok: 3 });
    },
  );
});
