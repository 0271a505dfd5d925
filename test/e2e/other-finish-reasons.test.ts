/**
 * Finish reasons compatible servers use besides OpenAI's. An answer the server broke off itself
 * (vLLM's `abort`, DeepSeek's `insufficient_system_resource`) was an `ok` row holding a fragment,
 * cached and never asked again; it is a failed attempt, retried, and re-run by `--resume`. Mistral's
 * `model_length` (its context filled) was an ordinary answer; it is a cut one, as `length` is.
 * Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJsonl, writePrompts, type CliResult } from '../helpers/run-cli.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import type { FaultKind, MockServer } from '../helpers/mock-server.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh } = useServers('llm-batch-finish-reasons-');
const cached = (name: string) => ({ env: { LLM_BATCH_CACHE_DIR: path.join(dir, name) } });
const summaryOf = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const rowsIn = (file: string) => parseJsonl<ResultRow>(fs.readFileSync(file, 'utf8'));

const BROKEN_OFF: [FaultKind, string, string[]][] = [
  ['abort', 'abort', []],
  ['abort', 'abort', ['--no-stream']],
  ['abort', 'abort', ['-v']],
  ['noresource', 'insufficient_system_resource', []],
  ['noresource', 'insufficient_system_resource', ['-v', '--no-stream']],
];

/** A case's two prompts: one its server always breaks off, one only on the first attempt. */
const promptsOf = (fault: FaultKind) => ({ always: `always fails (${fault})`, once: `fails once (${fault})` });

interface BrokenOffRun {
  server: MockServer;
  r: CliResult;
  /** The rows the first run wrote, before the resume. */
  rows: ResultRow[];
  resumed: CliResult;
}

const brokenOffRuns = new Map<string, Promise<BrokenOffRun>>();

/**
 * The run, and its resume, of every case whose flags are `extra`, each case with its own prompts
 * and fault; started by whichever of them asks first.
 */
function brokenOffRun(extra: string[]): Promise<BrokenOffRun> {
  const key = extra.join(' ');
  let shared = brokenOffRuns.get(key);
  if (!shared) {
    shared = (async () => {
      const faults = BROKEN_OFF.filter(([, , e]) => e.join(' ') === key).map(([fault]) => fault);
      const faultOf = new Map(faults.flatMap((fault) => Object.values(promptsOf(fault)).map((p) => [p, fault] as const)));
      const { server, run } = await fresh({ fault: ({ prompt, attempt }) => (prompt.startsWith('always') || attempt === 1 ? faultOf.get(prompt) : undefined) });
      const tag = `broken${extra.join('')}`.replace(/\W+/g, '');
      const file = writePrompts(dir, `${tag}.txt`, [...faultOf.keys()]);
      const out = path.join(dir, `${tag}.jsonl`);
      const r = await run([file, '-o', out, '--retries', '1', ...extra], cached(`${tag}-cache`));
      const rows = rowsIn(out);
      // The server is whole again: the resume asks the failed prompts again, not the cache.
      server.options.fault = undefined;
      const resumed = await run([file, '-o', out, '--resume', '-q'], cached(`${tag}-cache`));
      return { server, r, rows, resumed };
    })();
    brokenOffRuns.set(key, shared);
  }
  return shared;
}

describe.concurrent('an answer its server broke off', () => {
  it.each(BROKEN_OFF)('%s (finish_reason %s) %j: a failed http row after its retries, never stored; a --resume asks again', async (fault, reason, extra) => {
    const { server, r, rows, resumed } = await brokenOffRun(extra);
    const { always, once } = promptsOf(fault);
    expect(r.code, r.stderr).toBe(1);
    expect(rows.find((row) => row.prompt === always)).toMatchObject({
      response: null,
      error: { type: 'http', message: `the server broke the answer off (finish_reason "${reason}")` },
      attempts: 2,
    });
    expect(rows.find((row) => row.prompt === once)).toMatchObject({ error: null, finish_reason: 'stop', attempts: 2 });

    expect(resumed.code, resumed.stderr).toBe(0);
    expect(server.countFor(always)).toBe(3);
    expect(server.countFor(once)).toBe(2);
  });
});

describe.concurrent('Mistral\'s finish_reason "model_length" is a cut answer, as "length" is', () => {
  it('counted as truncated; --fail-truncated fails it and does not serve it from the cache', async () => {
    const { server, run } = await fresh();
    const file = writePrompts(dir, 'ml.txt', ['whole answer', 'cut answer [[fault:modellength*9]]']);
    const summary = path.join(dir, 'ml-summary.json');
    const plain = await run([file, '-o', path.join(dir, 'ml1.jsonl'), '--summary-json', summary], cached('ml-cache'));
    expect(plain.code, plain.stderr).toBe(0);
    // Not "at the token limit": a higher --max-tokens would not mend it.
    expect(plain.stderr).toMatch(/2 ok, 0 failed, 1 truncated at the model's context length ·/);
    expect(summaryOf(summary)).toMatchObject({ ok: 2, truncated: 1, truncatedAtContext: 1 });

    const out = path.join(dir, 'ml2.jsonl');
    const failing = await run([file, '-o', out, '--fail-truncated', '--summary-json', summary], cached('ml-cache'));
    expect(failing.code, failing.stderr).toBe(1);
    expect(server.countFor('cut answer [[fault:modellength*9]]')).toBe(2);
    expect(server.countFor('whole answer')).toBe(1);
    const cut = rowsIn(out).find((row) => row.prompt.startsWith('cut'));
    expect(cut).toMatchObject({
      finish_reason: 'model_length',
      response: 'ECHO cut answer [[fault:modellength*9]]',
      error: { type: 'truncated', message: `the answer was cut off at the model's context length (finish_reason "model_length")` },
    });
    expect(summaryOf(summary)).toMatchObject({ ok: 1, failed: 1, failedByType: { truncated: 1 }, truncated: 1 });
  });

  it('beside answers cut at the token limit: the summary tells the two apart', async () => {
    const { run } = await fresh();
    const file = writePrompts(dir, 'ml-mixed.txt', ['whole', 'capped [[fault:length]]', 'filled [[fault:modellength]]', 'filled too [[fault:modellength]]']);
    const summary = path.join(dir, 'ml-mixed-summary.json');
    const r = await run([file, '-o', path.join(dir, 'ml-mixed.jsonl'), '--summary-json', summary]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 ok, 0 failed, 3 truncated \(1 at the token limit, 2 at the model's context length\) ·/);
    expect(summaryOf(summary)).toMatchObject({ ok: 4, truncated: 3, truncatedAtContext: 2 });
  });

  it.each([[[]], [['--no-stream']]])('--json-schema %j: a JSON cut short is said as such and not re-asked', async (extra) => {
    const { server, run } = await fresh();
    const schema = path.join(dir, `ml-schema${extra.length}.json`);
    fs.writeFileSync(schema, JSON.stringify({ type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] }));
    const r = await run(['--json-schema', schema, '-q', ...extra], { stdin: 'long one [[schema:overflow*9]]\n' });
    expect(r.code, r.stderr).toBe(1);
    expect(server.requests).toHaveLength(1);
    const [row] = rowsOf(r);
    expect(row).toMatchObject({ attempts: 1, finish_reason: 'model_length', error: { type: 'invalid_output' } });
    expect(row!.error!.message).toMatch(
      /^answer cut off at the model's context length \(finish_reason: model_length\) before its JSON was complete; shorten the prompt/,
    );
  });
});
