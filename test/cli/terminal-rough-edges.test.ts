/**
 * What a person at a terminal sees, end to end on the built CLI under a pseudo-terminal: answers
 * keep their layout, a pipe on stdout is not garbled by the status line, and a resize or an
 * interrupt leaves a clean screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { tempDir } from '../helpers/run-cli.js';
import { runPty } from '../helpers/run-pty.js';

let server: MockServer;
const tmp = tempDir();

beforeAll(async () => {
  server = await startMockServer({ latencyMs: 20, chunkDelayMs: 5 });
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

const CODE = 'def f(x):\n    if x:\n        return 1\n\n- list\n  - nested item';

describe('answers on a terminal', () => {
  it.each([['streamed', []], ['--no-stream', ['--no-stream']]])('keep their indentation (%s)', async (_how, extra) => {
    server.reset();
    server.options.reply = () => CODE;
    try {
      const file = path.join(tmp.dir, 'code.jsonl');
      fs.writeFileSync(file, '{"id":"code","prompt":"write f"}\n');
      const r = await runPty([file, '--base-url', server.url, ...extra], { cols: 80 });
      expect(r.code).toBe(0);
      const start = r.screen.findIndex((l) => l.startsWith('── [code]'));
      expect(start).toBeGreaterThanOrEqual(0);
      expect(r.screen.slice(start + 1, start + 7)).toEqual(CODE.split('\n'));
    } finally {
      delete server.options.reply;
    }
  });
});
