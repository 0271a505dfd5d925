/**
 * The mock server in a test file's lifecycle, for the end-to-end suites: `useServers` gives a fresh
 * server per test (so tests can run concurrently; each CLI start costs a few hundred ms),
 * `useServer` one server per file with the file's options, `useServerAndCaseDir` one server per
 * file, reset before each test. All start it with `startMockServer` and close it after the file.
 * Also small readers of a CLI run's output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startMockServer, type MockServer, type MockServerOptions, type RecordedRequest } from './mock-server.js';
import { parseJsonl, runCli, spawnCli, tempDir, waitForExit, type CliOptions, type CliResult } from './run-cli.js';
import { until } from './until.js';
import type { ResultRow } from '../../src/types.js';

export { fixture, fixtureLines } from './fixtures.js';

export const ROW_FIELDS = [
  'id',
  'line',
  'prompt',
  'response',
  'error',
  'attempts',
  'latency_ms',
  'started_at',
  'finished_at',
  'model',
  'finish_reason',
  'usage',
];

export function rowsOf(r: CliResult): ResultRow[] {
  return parseJsonl<ResultRow>(r.stdout);
}

export function byId(rows: ResultRow[]): Map<string, ResultRow> {
  return new Map(rows.map((row) => [row.id, row]));
}

/** Non-empty stderr lines. */
export function stderrLines(r: CliResult): string[] {
  return r.stderr.split('\n').filter((l) => l.trim() !== '');
}

export interface TestServer {
  server: MockServer;
  /** Runs the CLI with `--base-url <this server>` appended; rows go to piped stdout unless args say otherwise. */
  run(args: readonly string[], options?: CliOptions): Promise<CliResult>;
  /** The single request whose last user message is `prompt`. */
  requestFor(prompt: string): RecordedRequest;
}

/**
 * Call once at module level. Returns a temp dir and `fresh()`, which starts a mock server for one
 * test; everything is closed and removed after the file. `defaults`: options every `run` of the
 * file starts from (`{ cache: true }` for a suite whose runs must have the response cache on).
 */
export function useServers(
  prefix: string,
  defaults: CliOptions = {},
): {
  dir: string;
  fresh: (options?: MockServerOptions) => Promise<TestServer>;
  writeFile: (name: string, text: string) => string;
} {
  const tmp = tempDir(prefix);
  const servers: MockServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    tmp.cleanup();
  });
  return {
    dir: tmp.dir,
    writeFile(name, text) {
      const file = path.join(tmp.dir, name);
      fs.writeFileSync(file, text);
      return file;
    },
    async fresh(options = {}) {
      const server = await startMockServer({ latencyMs: 20, ...options });
      servers.push(server);
      return {
        server,
        run: (args, opts = {}) => runCli([...args, '--base-url', server.url], { ...defaults, ...opts }),
        requestFor(prompt) {
          const found = server.requests.filter((r) => r.prompt === prompt);
          expect(found, `requests for ${JSON.stringify(prompt)}`).toHaveLength(1);
          return found[0]!;
        },
      };
    },
  };
}

/** Holds `server`'s answers until the returned function is called (see MockServerOptions.hold). */
export function holdAnswers(server: MockServer): () => void {
  let release!: () => void;
  server.options.hold = new Promise<void>((resolve) => (release = resolve));
  return () => {
    delete server.options.hold;
    release();
  };
}

/**
 * One mock server per test file, started with `options` (latency, chunk delay, key, reply…) and
 * closed after the file, with a temp dir for the file's inputs and outputs. Tests that change
 * `server.options` put them back themselves. Read `server` and `dir` inside tests, not at import time.
 */
export function useServer(prefix: string, options: MockServerOptions = {}): { readonly server: MockServer; readonly dir: string } {
  const tmp = tempDir(prefix);
  let server: MockServer | undefined;
  beforeAll(async () => {
    server = await startMockServer(options);
  });
  afterAll(async () => {
    await server?.close();
    tmp.cleanup();
  });
  return {
    get server() {
      return server!;
    },
    dir: tmp.dir,
  };
}

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

/**
 * A --batch-api run (`args`) Ctrl-C'd while the server holds its first upload, the upload answered
 * only once the run has said it is stopping: the run's result (a stop during the upload).
 */
export async function stopDuringUpload(server: MockServer, args: readonly string[]): Promise<CliResult> {
  let holding = true;
  server.options.batches = { stepMs: 20, uploadHold: () => holding };
  const child = spawnCli(args);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = waitForExit(child);
  await until(() => server.batchState.counts.uploads >= 1, 'the upload to reach the server');
  child.kill('SIGINT');
  await until(() => /stopping/.test(stderr) || child.exitCode !== null, 'the stop to be said');
  holding = false;
  return exited;
}
