/**
 * A record whose invalid answer waits for its re-ask when the run's own stop comes (--max-cost, a
 * signal): the answer was paid for, so it is an `aborted` row that keeps it (text and usage), every
 * cost figure counts it, and a plain --resume asks again. Before, the record got no row and the
 * summary, --summary-json and the report priced fewer tokens than the budget had spent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl, spawnCli, waitForExit } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh, writeFile } = useServers('llm-batch-reask-cut-');

const INVALID = 'Sure, here it comes: {"name": "half';
const rowsIn = (file: string) => parseJsonl<ResultRow>(fs.readFileSync(file, 'utf8'));

describe.concurrent('a stop between an invalid answer and its re-ask', () => {
  it('--max-cost: the re-ask that does not fit leaves an aborted row with the paid answer; figures match the budget', async () => {
    // Input tokens only are priced ($1 each): a first ask is a few dollars, a re-ask (the first
    // answer and the validator's words on top) far more, so the run stops at the first re-ask.
    const { server, run } = await fresh({ latencyMs: 0, schema: { answer: () => INVALID } });
    const input = writeFile('cap.txt', 'rate me\n');
    const out = path.join(dir, 'cap.jsonl');
    const summaryFile = path.join(dir, 'cap-summary.json');
    const args = [input, '--json', '-o', out, '-c', '1', '--max-tokens', '5', '--price', '1000000/0'];
    const r = await run([...args, '--max-cost', '300', '--summary-json', summaryFile]);
    expect(r.code, r.stderr).toBe(3);
    expect(server.requests).toHaveLength(1);
    const rows = rowsIn(out);
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row!.error?.type).toBe('aborted');
    expect(row!.error?.message).toMatch(/^the run stopped before this answer could be asked again \(answer is not valid JSON: /);
    expect(row).toMatchObject({ response: INVALID, attempts: 1, output: null });
    const paid = server.requests[0]!.tokens;
    expect(row!.usage?.prompt_tokens).toBe(paid);

    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary.promptTokens).toBe(paid);
    expect(summary.estimatedCost.usd).toBeCloseTo(summary.budget.spentUsd, 6);
    expect(summary.estimatedCost.usd).toBeCloseTo(paid, 6);
    expect(summary.failedByType).toEqual({ aborted: 1 });
    // The re-ask was never sent: none is counted (the summary once said `1 re-asked`).
    expect(summary.reasks).toBe(0);
    expect(r.stderr).toMatch(/0 ok, 1 failed \(aborted 1\)/);
    expect(r.stderr).not.toMatch(/re-asked/);

    // `aborted` is run again by a plain --resume.
    server.options.schema = {};
    const again = await run([...args, '--resume', '--max-cost', '1000000']);
    expect(again.code, again.stderr).toBe(0);
    expect(rowsIn(out).at(-1)).toMatchObject({ error: null, output: { answer: 'rate me' } });
  });

  it('a re-ask that fails (HTTP 400): the failed row still carries the answer paid for, its usage, and why it was re-asked', async () => {
    const { server, run } = await fresh({
      latencyMs: 0,
      schema: { answer: () => INVALID },
      fault: ({ prompt }) => (prompt === 'refuse my re-ask' ? undefined : '400'),
    });
    const input = writeFile('http.txt', 'refuse my re-ask\n');
    const summaryFile = path.join(dir, 'http-summary.json');
    const r = await run([input, '--json', '--summary-json', summaryFile]);
    expect(r.code, r.stderr).toBe(1);
    const rows = parseJsonl<ResultRow>(r.stdout);
    expect(rows).toHaveLength(1);
    // The answer that came and was paid for is kept, and the message says what the re-ask was for.
    expect(rows[0]).toMatchObject({ attempts: 2, response: INVALID, error: { type: 'http', status: 400 } });
    expect(rows[0]!.error?.message).toMatch(/^HTTP 400: .* \(while re-asking an invalid answer: answer is not valid JSON: /);
    expect(rows[0]!.usage?.prompt_tokens).toBe(server.requests[0]!.tokens);
    expect(JSON.parse(fs.readFileSync(summaryFile, 'utf8')).promptTokens).toBe(server.requests[0]!.tokens);
  });

  it('a double SIGINT while the re-ask is in flight: exit 130, an aborted row with the first answer', async () => {
    const { server } = await fresh({
      latencyMs: 0,
      schema: { answer: ({ reask }) => (reask === 0 ? INVALID : undefined) },
      // The re-ask's last user message is the validator's complaint, not the prompt: it hangs.
      fault: ({ prompt }) => (prompt === 'hang my re-ask' ? undefined : 'hang'),
    });
    const input = writeFile('sig.txt', 'hang my re-ask\n');
    const out = path.join(dir, 'sig.jsonl');
    const child = spawnCli([input, '--json', '-o', out, '--base-url', server.url]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer | string) => (stderr += String(d)));
    const exit = waitForExit(child);
    await until(() => server.requests.length === 2, 'the re-ask to be in flight');
    child.kill('SIGINT');
    await until(() => /stopping/.test(stderr), 'the first SIGINT to be acknowledged', 5_000);
    child.kill('SIGINT');
    const r = await exit;
    expect(r.code, r.stderr).toBe(130);
    const rows = rowsIn(out);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ response: INVALID, attempts: 2, error: { type: 'aborted' } });
    // The re-ask was sent, then cut off: not "before this answer could be asked again".
    expect(rows[0]!.error?.message).toMatch(/^the run stopped while this answer was being asked again \(answer is not valid JSON: /);
    expect(rows[0]!.usage?.prompt_tokens).toBe(server.requests[0]!.tokens);
  });
});
