import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startMockServer, type MockServer } from './mock-server.js';
import { tempDir } from './run-cli.js';

/**
 * One mock server per test file, reset before each test, and a fresh directory per test inside the
 * file's temp dir (removed at the end). Read `server` and `dir` inside tests, not at import time.
 */
export function useServerAndCaseDir(prefix: string): { readonly server: MockServer; readonly dir: string } {
  const tmp = tempDir(prefix);
  let server: MockServer | undefined;
  let dir = '';
  let caseNo = 0;
  beforeAll(async () => {
    server = await startMockServer();
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });
  beforeEach(() => {
    server!.reset();
    server!.options.latencyMs = 0;
    dir = path.join(tmp.dir, `case-${++caseNo}`);
    fs.mkdirSync(dir);
  });
  return {
    get server() {
      return server!;
    },
    get dir() {
      return dir;
    },
  };
}
