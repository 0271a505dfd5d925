/**
 * A retry the run's own stop keeps from being sent (here --max-cost: the retry does not fit) is no
 * retry: the summary, --summary-json, the end-of-run line and --report count only what the mock
 * server received. Before, the retry was counted as its backoff began, sent or not.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { reportDataOf } from '../helpers/report-data.js';

const { dir, fresh, writeFile } = useServers('llm-batch-retry-cut-');

describe('a stop before a retry is sent', () => {
  it('--max-cost: a reset attempt is billed in full, its retry does not fit; no retry is counted anywhere', async () => {
    // Input tokens only are priced ($1 each). A reset may have been billed, so its worst case stays
    // spent: the cap ($50) holds one attempt's worst case ($36), not two.
    const { server, run } = await fresh({ latencyMs: 0, fault: () => 'reset' });
    const input = writeFile('cap.txt', 'reset me\n');
    const out = path.join(dir, 'cap.jsonl');
    const summaryFile = path.join(dir, 'cap-summary.json');
    const report = path.join(dir, 'cap.html');
    const r = await run([
      input,
      '-o',
      out,
      '-c',
      '1',
      '--max-tokens',
      '5',
      '--price',
      '1000000/0',
      '--max-cost',
      '50',
      '--summary-json',
      summaryFile,
      '--report',
      report,
    ]);
    expect(r.code, r.stderr).toBe(3);
    expect(server.requests).toHaveLength(1);
    const summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
    expect(summary).toMatchObject({ stopped: 'budget', requests: 1, retries: 0 });
    // The end-of-run line names no retry (it once said `1 retry`).
    expect(r.stderr).toMatch(/stopped \(budget\): 0 ok, 0 failed, 1 not run · /);
    expect(reportDataOf(report).run).toMatchObject({ requests: 1, retries: 0 });
  });
});
