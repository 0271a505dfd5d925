/**
 * The library inside a host app's process, as a user's script importing the built package: it must
 * change nothing of the process the app relies on. Opening the response cache made an app that
 * handles its own unhandled rejections exit 1 on the next one (a listener of ours that rethrew), and
 * replaced console.error for good, dropping the app's own errors with a numeric `code`; an app that
 * had loaded `debug` printed the API key when a request went through a proxy with DEBUG set.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { startMockServer } from '../helpers/mock-server.js';
import { startProxyServer } from '../helpers/proxy-server.js';
import { ROOT, SECRET_KEY, tempDir, waitForExit } from '../helpers/run-cli.js';

const BUNDLE = pathToFileURL(path.join(ROOT, 'dist/bundle/index.js')).href;

/** Runs `script` (an ES module; `BUNDLE` names the package) as an app of its own, in a scratch directory. */
async function runApp(ctx: TestContext, script: string, env: Record<string, string> = {}) {
  const { dir, cleanup } = tempDir('llm-batch-lib-host-');
  ctx.onTestFinished(cleanup);
  fs.writeFileSync(path.join(dir, 'app.mjs'), script.replaceAll('BUNDLE', JSON.stringify(BUNDLE)));
  const child = spawn(process.execPath, ['app.mjs'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return waitForExit(child, 30_000);
}

/** Opens a cache in the scratch directory, runs one prompt through it, and closes it again. */
const WITH_CACHE = `
import { openResponseStore, createAnswerCache, runBatch } from BUNDLE;
const errorBefore = console.error;
const store = await openResponseStore('cache');
const cache = createAnswerCache(store, { endpoint: 'http://127.0.0.1:9/v1/chat/completions' });
const complete = async (request) => ({ text: 'ok', finishReason: 'stop', usage: null, model: request.model, headers: null });
const records = [{ id: 'a', line: 1, source: 'app', prompt: 'p', messages: [{ role: 'user', content: 'p' }] }];
for await (const row of runBatch(records, { complete, model: 'm', cache })) console.log(row.id, row.response);
await cache.flush();
await store.close();
`;

describe('the library in a host app', () => {
  it("leaves lmdb to node's loader: the app's own require of it is the copy the cache uses", async (ctx) => {
    // The CLI compiles lmdb's scripts itself, with code caches of its own (util/cached-cjs.ts); a host
    // app that requires lmdb must not get a second copy beside ours. An empty HOME has no caches: a
    // cache dir of its own here, as a user's CLI runs have made.
    const r = await runApp(
      ctx,
      `${WITH_CACHE}
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))});
const loaded = Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/](lmdb|msgpackr)[\\/]dist[\\/]/.test(f));
console.log(loaded.map((f) => f.split('node_modules').pop().replace(/\\\\/g, '/')).sort().join(' '));
console.log(require('lmdb') === require(require.resolve('lmdb')));
`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a ok\n/lmdb/dist/index.cjs /msgpackr/dist/node.cjs\ntrue\n');
    expect(r.code).toBe(0);
  });

  it("leaves the app's unhandledRejection handling alone: the app logs a rejection and goes on", async (ctx) => {
    const r = await runApp(
      ctx,
      `${WITH_CACHE}
process.on('unhandledRejection', (reason) => console.log('app logged:', reason.message));
Promise.reject(new Error('x'));
setTimeout(() => console.log('still running'), 20);
`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a ok\napp logged: x\nstill running\n');
    expect(r.code).toBe(0);
  });

  it("leaves console.error alone: the app's own error with a numeric code is printed", async (ctx) => {
    const r = await runApp(
      ctx,
      `${WITH_CACHE}
console.log('same console.error:', console.error === errorBefore);
console.error(Object.assign(new Error('UNAVAILABLE'), { code: 14 }));
`,
    );
    expect(r.stdout).toBe('a ok\nsame console.error: true\n');
    expect(r.stderr).toMatch(/^Error: UNAVAILABLE\n/);
    expect(r.stderr).toContain('code: 14');
    expect(r.code).toBe(0);
  });

  it.for(['*', 'http-proxy-agent', 'http-proxy-agent,https-proxy-agent,agent-base'])(
    'never prints the key through a proxy, with debug loaded by the app first and DEBUG=%s',
    async (debugSetting, ctx) => {
      const mock = await startMockServer({ apiKey: SECRET_KEY });
      const proxy = await startProxyServer();
      ctx.onTestFinished(() => Promise.all([mock.close(), proxy.close()]).then(() => {}));
      const debugModule = pathToFileURL(path.join(ROOT, 'node_modules/debug/src/index.js')).href;
      const r = await runApp(
        ctx,
        `
import createDebug from ${JSON.stringify(debugModule)};
createDebug('app')('the app logs through debug');
const { createOpenAIComplete, runBatch } = await import(BUNDLE);
const complete = createOpenAIComplete({ apiKey: process.env.KEY, baseURL: process.env.BASE_URL, proxyFor: () => process.env.PROXY });
const records = [{ id: 'a', line: 1, source: 'app', prompt: 'hello', messages: [{ role: 'user', content: 'hello' }] }];
for await (const row of runBatch(records, { complete, model: 'm' })) console.log(row.response ?? row.error.message);
`,
        { KEY: SECRET_KEY, BASE_URL: mock.url, PROXY: proxy.url, DEBUG: debugSetting },
      );
      expect(r.stdout).toBe('ECHO hello\n');
      expect(proxy.log).toHaveLength(1);
      // The app's own debug lines still print: its DEBUG is its own.
      if (debugSetting === '*') expect(r.stderr).toContain('the app logs through debug');
      expect(r.stderr).not.toContain(SECRET_KEY);
      expect(r.stderr).not.toContain('http-proxy-agent');
      expect(r.code).toBe(0);
    },
  );
});
