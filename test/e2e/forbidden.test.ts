/**
 * HTTP 403 end to end: a 403 that refuses one input (OpenRouter's moderation) or one model (a
 * project without access to it) is that row's failure and the run goes on; any other 403 (a server
 * that refuses the key with 403) still stops the run as a rejected key, with no row left behind for
 * the resume to skip. Spawns the BUILT CLI: `npm run build` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRET_KEY, parseJsonl, writePrompts } from '../helpers/run-cli.js';
import { useServers } from '../helpers/mock-server-hooks.js';
import type { ResultRow } from '../../src/types.js';

const { dir, fresh } = useServers('llm-batch-forbidden-');

describe.concurrent('HTTP 403', () => {
  it('one flagged input and one model the project may not use: their rows fail (http 403), every other prompt is answered', async () => {
    const flagged = 'item 3';
    const { server, run } = await fresh({ fault: ({ model, prompt }) => (model === 'o1' ? 'no-access' : prompt === flagged ? 'flagged' : undefined) });
    const prompts = ['item 1', 'item 2', flagged, 'item 4', 'item 5'];
    const out = path.join(dir, 'two-models.jsonl');
    const r = await run([writePrompts(dir, 'two-models.txt', prompts), '-m', 'gpt-4o-mini,o1', '-c', '2', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/rejected the API key|stopped/i);
    const rows = parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      if (row.requested_model === 'o1') {
        expect(row.error, row.id).toMatchObject({ type: 'http', status: 403, code: 'model_not_found' });
        expect(row.error!.message).toMatch(/^HTTP 403: Project `proj_mock` does not have access to model `o1`/);
      } else if (row.prompt === flagged) {
        expect(row.error).toMatchObject({ type: 'http', status: 403, message: expect.stringMatching(/^HTTP 403: .*Your input was flagged/) });
      } else {
        expect(row.error, row.id).toBeNull();
      }
      expect(row.attempts, row.id).toBe(1);
    }
    // Each 403 asked once: a permanent failure, not retried.
    expect(server.requests).toHaveLength(10);
  });

  it('any other 403 stops the run as a rejected key (exit 2) at once, with no row and the key never printed', async () => {
    const { server, run } = await fresh({ fault: () => 'forbidden' });
    const prompts = Array.from({ length: 40 }, (_, i) => `forbidden ${i + 1}`);
    const out = path.join(dir, 'forbidden.jsonl');
    const r = await run([writePrompts(dir, 'forbidden.txt', prompts), '-c', '2', '-o', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('the server rejected the API key (HTTP 403: Forbidden); check OPENAI_API_KEY and --base-url');
    // The resume that finishes the run once the key is fixed: every prompt, none left failed.
    expect(r.stderr).toMatch(/llm-batch .*--resume/);
    expect(fs.readFileSync(out, 'utf8')).toBe('');
    // Not one more request after the first 403: at most the two slots' (-c 2).
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
    expect(server.requests.length).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toContain(SECRET_KEY);
  });

  it('a 403 after answers with the same key (a gateway refusing one request) still stops, without blaming the key alone', async () => {
    const { run } = await fresh({ fault: ({ prompt }) => (prompt === 'blocked' ? 'forbidden' : undefined) });
    const out = path.join(dir, 'after-answers.jsonl');
    const r = await run([writePrompts(dir, 'after-answers.txt', ['first', 'second', 'blocked', 'fourth']), '-c', '1', '-o', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      'the server refused a request (HTTP 403: Forbidden) after it answered 2 with the same API key: a gateway or firewall in front of it may refuse some requests, or the key lost access',
    );
    expect(r.stderr).not.toMatch(/rejected the API key/);
    expect(parseJsonl<ResultRow>(fs.readFileSync(out, 'utf8')).map((row) => row.prompt)).toEqual(['first', 'second']);
  });
});
