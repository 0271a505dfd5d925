/**
 * Input that would fail every row, or send nothing at all, caught by the built CLI before a request
 * is paid for: one line naming the file, and a documented exit code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

let server: MockServer;
const tmp = tempDir();

beforeAll(async () => {
  server = await startMockServer();
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

describe('a JSONL prompt field under another name', () => {
  it('is refused up front with the fields seen and --prompt-field suggested, not one line per row', async () => {
    server.reset();
    const file = path.join(tmp.dir, 'questions.jsonl');
    fs.writeFileSync(file, Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: i, question: `q${i}` })).join('\n') + '\n');
    const out = path.join(tmp.dir, 'questions-out.jsonl');
    const r = await runCli([file, '--base-url', server.url, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^llm-batch: .*questions\.jsonl:1: no "prompt" or "messages" field in the first row \(fields: "id", "question"\); pass --prompt-field question /),
    ]);
    expect(server.requests).toHaveLength(0);
    expect(fs.existsSync(out) && fs.statSync(out).size > 0).toBe(false);

    // The same from stdin, and with the suggested flag it runs.
    const piped = await runCli(['--base-url', server.url], { stdin: fs.readFileSync(file, 'utf8') });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/^llm-batch: <stdin>:1: no "prompt" or "messages" field .*--prompt-field question/);
    const fixed = await runCli([file, '--base-url', server.url, '--prompt-field', 'question', '-o', out]);
    expect(fixed.code).toBe(0);
    expect(server.requests).toHaveLength(50);
  });
});
