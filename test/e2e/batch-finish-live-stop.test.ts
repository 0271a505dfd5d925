/**
 * --batch-api --finish-live when the live engine meets a run-level stop (an exhausted quota, a
 * rejected key, an endpoint that is not the API): the whole run stops with a live run's line and
 * exit code, --summary-json says why with what was collected and the --resume command, and no
 * request is sent after the stop (before, the batch was read again and re-asked again, for ever).
 * The BUILT CLI against the mock server's Batch API and chat completions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import type { FaultKind } from '../helpers/mock-server.js';
import { parseJsonl, runCli, SECRET_KEY, writePrompts } from '../helpers/run-cli.js';
import type { ResultRow } from '../../src/types.js';

/** The safety net around each CLI run (a kill, not an assertion). */
const LIMIT_MS = 40_000;
const ctx = useServerAndCaseDir('llm-batch-finish-live-stop-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 20 };
  ctx.server.options.schema = undefined;
  ctx.server.options.fault = undefined;
});

const SMALL = JSON.stringify({
  type: 'object',
  properties: { label: { type: 'string', enum: ['a', 'b'] }, score: { type: 'integer', minimum: 1, maximum: 5 } },
  required: ['label', 'score'],
  additionalProperties: false,
});

const paths = () => ({ out: path.join(ctx.dir, 'out.jsonl'), summary: path.join(ctx.dir, 's.json'), schema: path.join(ctx.dir, 'schema.json') });
const rowsOf = (file: string): ResultRow[] => (fs.existsSync(file) ? parseJsonl<ResultRow>(fs.readFileSync(file, 'utf8')) : []);

/** The old code looped until killed: the guard ends such a run, and its exit code (null) fails the test. */
async function runFinishLive(prompts: readonly string[], extra: readonly string[] = []) {
  const { out, summary, schema } = paths();
  const input = writePrompts(ctx.dir, 'in.txt', prompts);
  // A file: the resume command in --summary-json is then plain words, run as they are split.
  fs.writeFileSync(schema, SMALL);
  const args = [input, '-o', out, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--batch-api', '--poll', '0.05'];
  // A hang is killed well inside the test's 60 s; 15 s killed a healthy run once under CI's load.
  return runCli([...args, '--json-schema', schema, '--finish-live', '-c', '1', '--no-cache', '--summary-json', summary, ...extra], { timeoutMs: LIMIT_MS });
}

/** Every live request gets the fault until the test lifts it. */
function failLive(fault: FaultKind): void {
  ctx.server.options.fault = () => fault;
}

const STOPS = [
  {
    fault: 'quota',
    stopped: 'quota',
    code: 3,
    line: /^llm-batch: quota exhausted: .*insufficient_quota.*\. Stopped admitting prompts; every answered row is kept; when that is fixed, run: llm-batch .* --resume$/,
  },
  {
    fault: '401',
    stopped: 'auth',
    code: 2,
    line: /^llm-batch: the server rejected the API key \(.*\); check OPENAI_API_KEY and --base-url\. Stopped before sending more; when that is fixed, run: llm-batch .* --resume$/,
  },
  // A plain 403 after the batch answered a line with the same key: a gateway's refusal, not the key's alone.
  {
    fault: 'forbidden',
    stopped: 'auth',
    code: 2,
    line: /^llm-batch: the server refused a request \(HTTP 403: Forbidden\) after it answered 1 with the same API key: a gateway or firewall .*; when that is fixed, run: llm-batch .* --resume$/,
  },
  // A proxy in front of the live endpoint only that refuses its credentials.
  {
    fault: '407',
    stopped: 'proxy',
    code: 2,
    line: /^llm-batch: the proxy asks for credentials .*; check HTTPS_PROXY \/ HTTP_PROXY \(host, credentials\) and NO_PROXY\. Stopped before sending more; when that is fixed, run: llm-batch .* --resume$/,
  },
  // Every answer a web page: the live circuit breaker (three attempts alike) says the endpoint is not the API.
  {
    fault: 'html',
    stopped: 'unreachable',
    code: 4,
    line: /^llm-batch: the first requests all failed the same way, .* answers with an HTML page, not the API: check --base-url .*; when that is fixed, run: llm-batch .* --resume$/,
  },
] as const;

describe('--batch-api --finish-live: a run-level stop of the live re-asks stops the run', () => {
  for (const stop of STOPS) {
    it(`${stop.stopped} (${stop.fault}, exit ${stop.code}): one stop, nothing sent after it; the collected answer kept; --resume finishes`, async () => {
      const { out, summary } = paths();
      failLive(stop.fault);
      const r = await runFinishLive(['fine one', 'bad one [[schema:violate]]', 'bad two [[schema:violate]]']);
      const sent = ctx.server.requests.length;
      const retrieves = ctx.server.batchState.counts.retrieves;
      expect(r.signal, 'the run looped until the guard killed it').toBeNull();
      expect(r.code, r.stderr).toBe(stop.code);
      expect(r.stderr.match(/answers failed validation; re-asking them live/g)).toHaveLength(1);
      expect(r.stderr).not.toContain(SECRET_KEY);
      const lines = stderrLines(r);
      expect(lines.at(-1)).toMatch(stop.line);
      // Before it, the summary line, naming the stop as --summary-json does (it said "stopped (error)").
      // It ends with the input file, as a live stop's does (it had none).
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^llm-batch: stopped \\(${stop.stopped}\\): 1 ok, 0 failed.* · \\S+/in\\.txt$`)));
      // The first re-ask met the stop: the second was never sent (the breaker takes three attempts).
      expect(sent).toBe(stop.fault === 'html' ? 3 : 1);
      // Nothing after the stop: the run is over, and the mock heard nothing more.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(ctx.server.requests).toHaveLength(sent);
      expect(ctx.server.batchState.counts.retrieves).toBe(retrieves);

      expect(rowsOf(out).map((row) => row.prompt)).toEqual(['fine one']);
      const text = fs.readFileSync(summary, 'utf8');
      expect(text).not.toContain(SECRET_KEY);
      const s = JSON.parse(text);
      expect(s).toMatchObject({
        stopped: stop.stopped,
        exitCode: stop.code,
        error: lines.at(-1)!.replace(/^llm-batch: /, ''),
        ok: 1,
        failed: 0,
        pendingBatches: 1,
        resumeHint: expect.stringMatching(/^llm-batch .* --resume$/),
      });

      ctx.server.options.fault = undefined;
      const resumed = await runCli(s.resumeHint.split(' ').slice(1), { timeoutMs: LIMIT_MS });
      expect(resumed.code, resumed.stderr).toBe(0);
      const rows = rowsOf(out);
      expect(rows.map((row) => row.prompt).sort()).toEqual(['bad one [[schema:violate]]', 'bad two [[schema:violate]]', 'fine one']);
      for (const row of rows) expect(row).toMatchObject({ error: null, output: { label: expect.any(String) } });
      expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: null, pendingBatches: 0 });
      // The batch was not submitted again: --resume collected it and re-asked only the two.
      expect(ctx.server.batchState.counts.creates).toBe(1);
    });
  }

  it('a server that refuses response_format on the re-ask: stopped "response_format" (exit 2), nothing sent after it', async () => {
    const { summary } = paths();
    // The batch answers its lines (the mock's Batch API has structured outputs); the live endpoint refuses them.
    ctx.server.options.schema = { rejectResponseFormat: true };
    const r = await runFinishLive(['fine one', 'bad one [[schema:violate]]', 'bad two [[schema:violate]]']);
    const sent = ctx.server.requests.length;
    expect(r.signal, 'the run looped until the guard killed it').toBeNull();
    expect(r.code, r.stderr).toBe(2);
    expect(sent).toBe(1);
    const line = stderrLines(r).at(-1)!;
    expect(line).toMatch(/^llm-batch: the server refused response_format \(.*\).*; when that is fixed, run: llm-batch .* --resume$/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ctx.server.requests).toHaveLength(sent);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({
      stopped: 'response_format',
      exitCode: 2,
      error: line.replace(/^llm-batch: /, ''),
      ok: 1,
      pendingBatches: 1,
    });
  });

  it("quota on an expired batch's unfinished lines run live: one stop, nothing sent after it", async () => {
    const { out, summary } = paths();
    ctx.server.options.batches = { stepMs: 20, expireAfter: () => 1 };
    failLive('quota');
    const r = await runFinishLive(['a', 'b', 'c']);
    const sent = ctx.server.requests.length;
    expect(r.signal, 'the run looped until the guard killed it').toBeNull();
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr.match(/requests not run; running them live/g)).toHaveLength(1);
    expect(stderrLines(r).at(-1)).toMatch(/^llm-batch: quota exhausted: .*; when that is fixed, run: llm-batch .* --resume$/);
    expect(sent).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ctx.server.requests).toHaveLength(sent);
    expect(rowsOf(out)).toHaveLength(1);
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'quota', exitCode: 3, ok: 1, pendingBatches: 1 });

    ctx.server.options.fault = undefined;
    const resumed = await runCli(JSON.parse(fs.readFileSync(summary, 'utf8')).resumeHint.split(' ').slice(1), { timeoutMs: LIMIT_MS });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(
      rowsOf(out)
        .map((row) => row.prompt)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});
