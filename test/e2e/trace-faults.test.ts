/**
 * `-v` / `--trace` send chat completions through the SDK's client, a run without them through the
 * lean transport: every fault the mock injects must end in the same rows either way (a trace shows
 * what went wrong; it must not change what the run makes of it). The built CLI against the mock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAULT_KIND_LIST, type FaultKind } from '../helpers/mock-server.js';
import { rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import { writePrompts, type CliResult } from '../helpers/run-cli.js';

const { dir, fresh } = useServers('llm-batch-trace-faults-');

/** Faults that stop the whole run (a refused key, the proxy's 407, an exhausted quota): each has its own suite. */
const STOPS: ReadonlySet<FaultKind> = new Set(['401', 'escaped-key', '403', 'forbidden', '407', 'quota', 'budget', 'budget400', 'router402']);
/** Every other fault, a 500 first: a first wave of failures that differ never trips the circuit breaker. */
const KINDS = ['500', ...FAULT_KIND_LIST.filter((kind) => kind !== '500' && !STOPS.has(kind))];

/** A run's rows in input order, without what varies from run to run (timings). */
const inOrder = (r: CliResult) =>
  rowsOf(r)
    .sort((a, b) => a.line - b.line)
    .map(({ latency_ms, started_at, finished_at, ...row }) => row);

describe.each(['--stream', '--no-stream'])('every fault, %s: the same rows with --trace as without', (mode) => {
  it('rows, errors and exit code alike', async () => {
    // The mock ends its stalls and hangs itself, soon: no run waits for a deadline.
    const { run, server } = await fresh({ latencyMs: 0, stallMs: 300 });
    const prompts = KINDS.map((kind) => `${kind} ${mode} [[fault:${kind}]]`);
    const input = writePrompts(dir, `faults${mode}.txt`, prompts);
    const args = [input, mode, '-c', '1', '--retries', '0', '-q'];
    const plain = await run(args, { timeoutMs: 30_000 });
    server.reset(); // the second run meets each fault afresh
    const traced = await run([...args, '--trace', path.join(dir, `faults${mode}.trace`)], { timeoutMs: 30_000 });
    expect(rowsOf(plain)).toHaveLength(prompts.length);
    expect(inOrder(traced)).toEqual(inOrder(plain));
    expect(traced.code).toBe(plain.code);
    expect(fs.statSync(path.join(dir, `faults${mode}.trace`)).size).toBeGreaterThan(0);
  });
});

describe('an error event then [DONE] (vLLM failing mid-answer)', () => {
  it.each([
    { how: 'plain', flags: [] as string[] },
    { how: '--trace', flags: ['--trace', path.join(dir, 'vllm.trace')] },
    { how: '-v', flags: ['-v'] },
  ])('$how: each row fails as an error in the stream, retried; never kept as an answer', async ({ how, flags }) => {
    const { run, server } = await fresh({ latencyMs: 0, fault: () => 'errorevent' });
    const input = writePrompts(dir, `vllm${how}.txt`, ['what is it', 'and this']);
    const r = await run([input, '--retries', '1', ...flags], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.response).toBeNull();
      expect(row.error).toMatchObject({ type: 'http', message: 'error in stream: CUDA error: an illegal memory access was encountered' });
      expect(row.attempts).toBe(2);
    }
    expect(server.requests).toHaveLength(4);
  });
});
