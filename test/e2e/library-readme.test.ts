/**
 * README's "As a library" example, run as a user's script against the built package: a rejected key
 * must reach its catch (exit 2, the code on stderr), not end the loop as if all went well with no
 * rows and exit 0, as it did when the stop was only the generator's return value.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../helpers/mock-server.js';
import { ROOT, SECRET_KEY, tempDir, waitForExit } from '../helpers/run-cli.js';

const GOOD_KEY = 'sk-test-the-right-key';

/** The section's first code block, importing the built package and sent to `BASE_URL`. */
function exampleScript(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## As a library\n'));
  const code = /^```ts\n([\s\S]*?)^```/m.exec(section)?.[1];
  if (!code) throw new Error('no ts block in the "As a library" section');
  const bundle = pathToFileURL(path.join(ROOT, 'dist/bundle/index.js')).href;
  expect(code).toContain("from 'llm-batch'");
  expect(code).toContain('baseURL: undefined');
  return code.replace("from 'llm-batch'", `from '${bundle}'`).replace('baseURL: undefined', 'baseURL: process.env.BASE_URL');
}

describe('README "As a library" example', () => {
  const tmp = tempDir('llm-batch-lib-readme-');
  let server: MockServer;
  beforeAll(async () => {
    server = await startMockServer({ apiKey: GOOD_KEY });
    fs.writeFileSync(path.join(tmp.dir, 'example.mjs'), exampleScript());
    fs.writeFileSync(path.join(tmp.dir, 'prompts.txt'), 'one\ntwo\nthree\n');
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  const run = (apiKey: string) =>
    waitForExit(
      spawn(process.execPath, ['example.mjs'], {
        cwd: tmp.dir,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: apiKey, BASE_URL: server.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      30_000,
    );

  it('prints a line per prompt and exits 0', async () => {
    const r = await run(GOOD_KEY);
    expect(r.stderr).toBe('');
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => line.replace(/^\S+ /, '')),
    ).toEqual(['ECHO one', 'ECHO two', 'ECHO three']);
    expect(r.code).toBe(0);
  });

  it('a rejected key reaches its catch: the code on stderr, exit 2, the key never shown', async () => {
    const r = await run(SECRET_KEY);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^auth: stopped \(auth\): HTTP 401: Incorrect API key provided: .*\n$/);
    expect(r.stderr).not.toContain('DO-NOT-PRINT');
    expect(r.code).toBe(2);
  });
});
