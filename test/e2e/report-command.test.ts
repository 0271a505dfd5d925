import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { SECRET_KEY, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { holdAnswers, useServer } from '../helpers/mock-server-hooks.js';
import { until } from '../helpers/until.js';
import { startCachedUsageServer } from '../helpers/cached-usage-server.js';
import { reportDataOf } from '../helpers/report-data.js';

const prompts = Array.from({ length: 12 }, (_, i) => `question ${i}`);
const ctx = useServer('llm-batch-report-cli-');
beforeEach(() => {
  ctx.server.reset();
  ctx.server.options.fault = undefined;
  ctx.server.options.latencyMs = 0;
});

describe('llm-batch report', () => {
  it('writes OUT.html by default, replaces an earlier report, and refuses to clobber anything else', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'a-'));
    const input = writePrompts(dir, 'p.txt', prompts);
    const out = path.join(dir, 'out.jsonl');
    expect((await runCli([input, '--base-url', ctx.server.url, '-o', out, '-q'])).code).toBe(0);
    const first = await runInWorker(['report', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toMatch(/^llm-batch: report of 12 rows written to .*out\.html \(0\.\d MB\)\n$/);
    expect(reportDataOf(path.join(dir, 'out.html')).figures.ok).toBe(12);
    // In the worker: `report` as a child process is the SIGTERM test's and the lock test's below.
    expect((await runInWorker(['report', out, '-q'])).code).toBe(0);

    const notes = path.join(dir, 'notes.html');
    fs.writeFileSync(notes, '<p>my notes</p>');
    const refused = await runInWorker(['report', out, '-o', notes]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^llm-batch: --output .*notes\.html already exists and is not an llm-batch report: .*--overwrite/);
    expect(fs.readFileSync(notes, 'utf8')).toBe('<p>my notes</p>');
    expect((await runInWorker(['report', out, '-o', notes, '--overwrite', '-q'])).code).toBe(0);
    expect((await runInWorker(['report', out, '-o', out])).stderr).toMatch(/is the results file/);
  });

  it('by default, does not replace the report of another results file of the same name (out.csv’s out.html for out.jsonl)', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'same-name-'));
    const input = writePrompts(dir, 'p.txt', prompts.slice(0, 3));
    const csv = path.join(dir, 'out.csv');
    const jsonl = path.join(dir, 'out.jsonl');
    for (const out of [csv, jsonl]) expect((await runCli([input, '--base-url', ctx.server.url, '-o', out, '-q'])).code).toBe(0);
    const html = path.join(dir, 'out.html');
    expect((await runInWorker(['report', csv, '-q'])).code).toBe(0);
    const refused = await runInWorker(['report', jsonl]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `llm-batch: ${html} is already the report of ${csv}, not ${jsonl} (both are reported there by default): choose another path with -o, or pass --overwrite to replace it\n`,
    );
    expect(reportDataOf(html).source.format).toBe('csv');
    expect(fs.readdirSync(dir).sort()).toEqual(['out.csv', 'out.csv.meta.json', 'out.html', 'out.jsonl', 'out.jsonl.meta.json', 'p.txt']);
    // Its own report is refreshed; -o names the file, and --overwrite replaces it.
    expect((await runInWorker(['report', csv, '-q'])).code).toBe(0);
    expect((await runInWorker(['report', jsonl, '-o', html, '-q'])).code).toBe(0);
    expect(reportDataOf(html).source.format).toBe('jsonl');
    expect((await runInWorker(['report', csv, '--overwrite', '-q'])).code).toBe(0);
    expect(reportDataOf(html).source.format).toBe('csv');
  });

  it('a text output (its metadata says so): what it is and what report reads, not its first line as a bad row', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'text-'));
    const input = writePrompts(dir, 'p.txt', prompts.slice(0, 2));
    const out = path.join(dir, 't.txt');
    expect((await runCli([input, '--base-url', ctx.server.url, '-o', out, '-q'])).code).toBe(0);
    const r = await runInWorker(['report', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`llm-batch: ${out} is a text output (no ids or figures): llm-batch report reads the JSONL or CSV results of a run\n`);
    expect(fs.existsSync(path.join(dir, 't.html'))).toBe(false);
  });

  it('names a run’s rows sent to stdout as such, and refreshes that report from the file they went to', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'stdout-'));
    const input = writePrompts(dir, 'p.txt', prompts.slice(0, 3));
    const html = path.join(dir, 'out.html');
    const run = await runCli([input, '--base-url', ctx.server.url, '--report', html, '-q']);
    expect(run.code, run.stderr).toBe(0);
    const jsonl = path.join(dir, 'out.jsonl');
    fs.writeFileSync(jsonl, run.stdout);
    const data = reportDataOf(html);
    expect([data.title, data.source.path]).toEqual(['stdout', 'stdout']);
    const again = await runInWorker(['report', jsonl, '-q']);
    expect(again.code, again.stderr).toBe(0);
    expect(reportDataOf(html).source.path).toBe(jsonl);
  });

  it.each([
    ['a missing file', (d: string) => path.join(d, 'nope.jsonl'), /cannot read results file .*nope\.jsonl: no such file/],
    ['a prompts file', (d: string) => writePrompts(d, 'prompts.jsonl', ['{"prompt":"hi"}']), /prompts\.jsonl:1: not a result row \(missing "id"\)/],
    [
      'a broken line',
      (d: string) => {
        fs.writeFileSync(path.join(d, 'bad.jsonl'), '{"id":"a","response":"x"}\n{oops\n');
        return path.join(d, 'bad.jsonl');
      },
      /bad\.jsonl:2: not a result row/,
    ],
  ])('%s: one line, exit 2', async (_name, make, message) => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'b-'));
    const r = await runInWorker(['report', make(dir)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // The report's temp file (opened before the first row is read) goes with the refusal.
    expect(fs.readdirSync(dir).filter((f) => !/^[a-z]+\.jsonl$/.test(f))).toEqual([]);
  });

  it('reads a results file by what it holds; --format names the reader for one that does not show it', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'format-'));
    const input = writePrompts(dir, 'p.txt', prompts);
    // JSONL rows in a file named .csv, with no run settings beside it: its first bytes tell.
    const rows = path.join(dir, 'rows.csv');
    const run = await runCli([input, '--base-url', ctx.server.url, '-o', '-', '-q']);
    fs.writeFileSync(rows, run.stdout);
    const plain = await runInWorker(['report', rows, '-q']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(reportDataOf(path.join(dir, 'rows.html')).source.format).toBe('jsonl');
    // --format is no extension hint: it reads the file as that format, whatever it holds.
    const forced = await runInWorker(['report', rows, '--format', 'csv', '-o', path.join(dir, 'forced.html')]);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/^llm-batch: .*rows\.csv:1: invalid CSV /);
    const help = await runInWorker(['report', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(
      ' --format <format> read the results as jsonl or csv (default: what the file holds, by its first bytes, else its extension) --summary-json ',
    );
  });

  it('takes the run-level figures from a --summary-json file', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'c-'));
    const input = writePrompts(dir, 'p.txt', prompts.slice(0, 3));
    ctx.server.options.fault = ({ attempt }) => (attempt === 1 ? '429' : undefined);
    const out = path.join(dir, 'out.jsonl');
    const summary = path.join(dir, 's.json');
    expect((await runCli([input, '--base-url', ctx.server.url, '-o', out, '-q', '--summary-json', summary])).code).toBe(0);
    expect((await runInWorker(['report', out, '--summary-json', summary, '-q'])).code).toBe(0);
    const data = reportDataOf(path.join(dir, 'out.html'));
    expect(data.run).toMatchObject({ rateLimited: 3, retries: 3, requests: 6 });
    expect(data.figures.rateLimitedRows).toBe(0); // every row got past its 429
  });
});

describe('llm-batch report -o FILE interrupted', () => {
  it('SIGTERM while the temp file exists: exit 130, the temp file removed, the old report as it was', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'sig-'));
    // Rows enough that the report is still reading them when the temp file is seen (it is opened first).
    const rows = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({
        id: `r${i}`,
        line: i + 1,
        prompt: `question ${i}`,
        response: `answer ${i}`,
        error: null,
        attempts: 1,
        latency_ms: 100 + (i % 50),
        model: 'gpt-4o-mini',
        usage: { prompt_tokens: 10, completion_tokens: 20 },
      }),
    );
    const results = path.join(dir, 'out.jsonl');
    fs.writeFileSync(results, rows.join('\n') + '\n');
    const html = path.join(dir, 'out.html');
    fs.writeFileSync(html, 'yesterday');
    const child = spawnCli(['report', results, '-o', html, '--overwrite']);
    const exited = waitForExit(child);
    const tmp = `${html}.${child.pid}.tmp`;
    await until(() => fs.existsSync(tmp) || child.exitCode !== null, 'the temp file');
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    const r = await exited;
    // Not Node's own end at the signal (143, and FILE.PID.tmp left behind).
    expect([r.code, r.signal]).toEqual([130, null]);
    expect(r.stderr).toMatch(/^llm-batch: interrupted: nothing was written to \S+out\.html \(it is as it was\)\n$/);
    expect(fs.readdirSync(dir).sort()).toEqual(['out.html', 'out.jsonl']);
    expect(fs.readFileSync(html, 'utf8')).toBe('yesterday');
  });
});

describe('--report on a run', () => {
  it('is written when the run is stopped by an exhausted quota, says so, and never holds the key', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'd-'));
    const input = writePrompts(dir, 'p.txt', prompts);
    ctx.server.options.fault = ({ index }) => (index >= 5 ? 'quota' : undefined);
    const report = path.join(dir, 'r.html');
    const r = await runCli([input, '--base-url', ctx.server.url, '-o', path.join(dir, 'out.csv'), '-c', '1', '--report', report]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/report of 5 rows written to .*r\.html/);
    const data = reportDataOf(report);
    expect(data.run.stopped).toBe('quota');
    expect(data.source.format).toBe('csv');
    expect(data.timeline).toMatchObject({ source: 'events', rowTimes: true }); // CSV rows have started_at/finished_at
    expect(fs.readFileSync(report, 'utf8')).not.toContain(SECRET_KEY);
  });

  it('is written after Ctrl-C, from rows that went to stdout', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'e-'));
    const input = writePrompts(
      dir,
      'p.txt',
      Array.from({ length: 200 }, (_, i) => `slow ${i}`),
    );
    ctx.server.options.latencyMs = 100;
    const report = path.join(dir, 'r.html');
    const child = spawnCli([input, '--base-url', ctx.server.url, '-c', '2', '--report', report]);
    let seen = '';
    await new Promise<void>((resolve) => {
      const onData = (d: Buffer) => {
        seen += d.toString();
        if (seen.split('\n').length > 4) {
          child.stdout!.off('data', onData);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
    });
    child.kill('SIGINT');
    const r = await waitForExit(child);
    expect(r.code).toBe(130);
    // waitForExit collects only what came after the first rows (read above).
    const rows = (seen + r.stdout).trim().split('\n').length;
    const data = reportDataOf(report);
    expect(data.run.stopped).toBe('interrupted');
    expect(data.figures.rows).toBe(rows);
  });

  it('of an output a run is still writing says so in one line, and reports the rows written so far', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'g-'));
    const out = path.join(dir, 'out.jsonl');
    const args = [writePrompts(dir, 'p.txt', prompts), '--base-url', ctx.server.url, '-o', out, '-c', '1', '-q'];
    expect((await runCli([...args, '--limit', '3'])).code).toBe(0);
    const sent = ctx.server.requests.length;
    // A resume of the rest holds the lock while its answers wait.
    const release = holdAnswers(ctx.server);
    const run = spawnCli([...args, '--resume']);
    const runDone = waitForExit(run);
    try {
      await until(() => ctx.server.requests.length > sent, 'the resume to send a prompt');
      const during = await runCli(['report', out]);
      expect(during.code, during.stderr).toBe(0);
      expect(during.stderr.split('\n')[0]).toBe(
        `llm-batch: ${out} is still being written by a run in progress (it holds ${out}.lock): the report covers the rows written so far`,
      );
      expect(during.stderr).toMatch(/\nllm-batch: report of 3 rows written to .*out\.html \(0\.\d MB\)\n$/);
      // The page says it too: it is what gets mailed, and must not pass for the whole run.
      expect(reportDataOf(path.join(dir, 'out.html'))).toMatchObject({ figures: { rows: 3 }, source: { beingWritten: true } });
      // -q (cron): the note alone, the one sign that the report lacks the rows still to come.
      const quiet = await runCli(['report', out, '-q', '-o', path.join(dir, 'q.html')]);
      expect(quiet.code, quiet.stderr).toBe(0);
      expect(quiet.stderr).toBe(`${during.stderr.split('\n')[0]}\n`);
    } finally {
      release();
      expect((await runDone).code).toBe(0);
    }
    const after = await runInWorker(['report', out]);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toMatch(/^llm-batch: report of 12 rows written to .*out\.html \(0\.\d MB\)\n$/);
    expect(reportDataOf(path.join(dir, 'out.html')).source.beingWritten).toBeUndefined();
  });

  it.each([
    [['--report', '-'], /^llm-batch: --report needs a file path \("-" is none: for stdout, name \/dev\/stdout\)$/m],
    [['--report', 'OUT'], /--report .* is the output file/],
    [['--report', 'missing-dir/r.html'], /--report missing-dir\/r\.html: no such directory/],
  ])('%j is refused before anything is sent', async (flags, message) => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'f-'));
    const input = writePrompts(dir, 'p.txt', prompts);
    const out = path.join(dir, 'out.jsonl');
    const args = [input, '--base-url', ctx.server.url, '-o', out, ...flags.map((f) => (f === 'OUT' ? out : f))];
    // A relative --report path is read from the cwd: that case stays a child process in `dir`, the others run in the worker.
    const r = flags[1] === 'missing-dir/r.html' ? await runCli(args, { cwd: dir }) : await runInWorker(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(ctx.server.requests).toHaveLength(0);
  });
});

describe('the report prices cached input tokens as billed', () => {
  it('--report on the run and `report --price IN/OUT/CACHED` both say $0.20, as the summary does', async () => {
    // 1000 prompt tokens of which 900 cached, 10 out: at 1000/1000/100 per 1M that bills $0.2, not $1.01.
    const server = await startCachedUsageServer({ prompt: 1000, completion: 10, cached: 900 });
    try {
      const dir = fs.mkdtempSync(path.join(ctx.dir, 'cached-'));
      const input = writePrompts(dir, 'p.txt', ['what']);
      const out = path.join(dir, 'out.jsonl');
      const report = path.join(dir, 'run.html');
      const r = await runCli([input, '--base-url', server.url, '--price', '1000/1000/100', '--no-cache', '-q', '-o', out, '--report', report]);
      expect(r.code, r.stderr).toBe(0);
      expect(reportDataOf(report).figures.cost).toMatchObject({ usd: 0.2, cachedTokens: 900, pricesGiven: true });
      const again = path.join(dir, 'again.html');
      expect((await runInWorker(['report', out, '-o', again, '--price', '1000/1000/100'])).code).toBe(0);
      expect(reportDataOf(again).figures.cost.usd).toBe(0.2);
      const prices = path.join(dir, 'prices.json');
      fs.writeFileSync(prices, JSON.stringify({ 'gpt-4o-mini': { input: 1000, output: 1000, cached_input: 100 } }));
      const viaFile = path.join(dir, 'file.html');
      const f = await runInWorker(['report', out, '-o', viaFile, '--prices', prices]);
      expect(f.code, f.stderr).toBe(0);
      expect(reportDataOf(viaFile).figures.cost.usd).toBe(0.2);
      const missing = await runInWorker(['report', out, '-o', viaFile, '--prices', path.join(dir, 'nope.json')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/--prices .*nope\.json: no such file/);
    } finally {
      await server.close();
    }
  });
});

describe('the report of a --mock run', () => {
  it('prices mock-model at $0.00, as the run\'s summary and --report do (OUT.meta.json says "baseURL": "mock")', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'mock-'));
    const out = path.join(dir, 'out.jsonl');
    const during = path.join(dir, 'run.html');
    const r = await runCli([writePrompts(dir, 'p.txt', ['one', 'two']), '--mock', '-o', out, '--report', during]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/est\. \$0\.00/);
    expect(JSON.parse(fs.readFileSync(`${out}.meta.json`, 'utf8'))).toMatchObject({ baseURL: 'mock' });
    expect(reportDataOf(during).figures.cost).toMatchObject({ usd: 0, pricesGiven: false });
    const after = path.join(dir, 'after.html');
    const report = await runInWorker(['report', out, '-o', after]);
    expect(report.code, report.stderr).toBe(0);
    expect(reportDataOf(after).figures.cost).toMatchObject({ usd: 0, pricesGiven: false });
    // A price given still wins.
    const priced = path.join(dir, 'priced.html');
    expect((await runInWorker(['report', out, '-o', priced, '--price', '1000/1000'])).code).toBe(0);
    expect(reportDataOf(priced).figures.cost.usd).toBeGreaterThan(0);
  });
});

describe('the report of a --batch-api --no-wait output', () => {
  it('says in one line how many batches and requests are pending and the command that collects them', async () => {
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'pending-'));
    const out = path.join(dir, 'out.jsonl');
    const summary = path.join(dir, 'sum.json');
    const input = writePrompts(dir, 'p.txt', ['one', 'two', 'three']);
    const args = [input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-cache', '-q', '--poll', '0.05'];
    // The batch stays in progress until the test lets it finish.
    let hold = true;
    ctx.server.options.batches = { stepMs: 20, hold: () => hold };
    try {
      const submitted = await runCli([...args, '--no-wait', '--summary-json', summary]);
      expect(submitted.code, submitted.stderr).toBe(75);
      const resumeHint = JSON.parse(fs.readFileSync(summary, 'utf8')).resumeHint;
      expect(resumeHint).toMatch(/--resume$/);
      const lead = `llm-batch: ${out}.batch.json lists 1 batch (3 requests) not collected yet: the report covers the rows collected so far; to collect it, `;

      const plain = await runInWorker(['report', out]);
      expect(plain.code, plain.stderr).toBe(0);
      expect(plain.stderr.split('\n')[0]).toBe(`${lead}run the run's command again with --resume (llm-batch … -o ${out} --batch-api --resume)`);
      expect(plain.stderr).toMatch(/\nllm-batch: report of 0 rows written to .*out\.html \(0\.\d MB\)\n$/);
      // The run's --summary-json knows its exact command.
      const exact = await runInWorker(['report', out, '--summary-json', summary]);
      expect(exact.code, exact.stderr).toBe(0);
      expect(exact.stderr.split('\n')[0]).toBe(`${lead}run: ${resumeHint}`);
      // -q (cron): the pending line alone, the one sign that the report lacks rows.
      expect((await runInWorker(['report', out, '-q'])).stderr).toBe(`${plain.stderr.split('\n')[0]}\n`);

      // Collected: nothing is pending, nothing is said.
      hold = false;
      const collected = await runCli([...args, '--resume']);
      expect(collected.code, collected.stderr).toBe(0);
      const after = await runInWorker(['report', out]);
      expect(after.code, after.stderr).toBe(0);
      expect(after.stderr).toMatch(/^llm-batch: report of 3 rows written to .*out\.html \(0\.\d MB\)\n$/);
    } finally {
      ctx.server.options.batches = undefined;
    }
  });
});
