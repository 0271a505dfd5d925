import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { SECRET_KEY, parseJsonl, runCli, tempDir, writePrompts } from '../helpers/run-cli.js';

let server: MockServer;
const tmp = tempDir();
beforeAll(async () => {
  server = await startMockServer();
});
afterAll(async () => {
  await server.close();
  tmp.cleanup();
});

describe('smoke: the built CLI against the mock server', () => {
  it('answers every prompt, rows on piped stdout, summary on stderr', async () => {
    const file = writePrompts(tmp.dir, 'p.txt', ['alpha', 'beta [[fault:500]]', 'gamma [[fault:cut]]']);
    const r = await runCli([file, '--base-url', server.url, '-c', '2'], { env: {} });
    expect(r.code).toBe(0);
    const rows = parseJsonl(r.stdout);
    expect(rows.map((x) => x.response).sort()).toEqual(['ECHO alpha', 'ECHO beta [[fault:500]]', 'ECHO gamma [[fault:cut]]']);
    expect(rows.find((x) => x.prompt.startsWith('beta')).attempts).toBe(2);
    expect(r.stderr).toMatch(/3 ok, 0 failed/);
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });
});
