/**
 * A HOME others can write to (`HOME=/tmp/shared` in a job, a shared CI directory): another user may
 * have made `.cache/llm-batch` there first and put answers of their own in it, or V8 code a run
 * would execute. The default cache there was used whoever owned it; now a run goes without the
 * response cache after one line naming the directory, and keeps no code cache there. The built CLI,
 * as root, with a directory of another uid (needs root to make one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-shared-home-');

describe.runIf(process.geteuid?.() === 0)('the default cache under a HOME others can write to', () => {
  it("another user's .cache there: no response cache, one line; nothing written into it; a HOME of one's own is used as before", async () => {
    const shared = path.join(ctx.dir, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const theirs = path.join(shared, '.cache');
    fs.mkdirSync(path.join(theirs, 'llm-batch'), { recursive: true });
    fs.chownSync(theirs, 65534, 65534);
    fs.chownSync(path.join(theirs, 'llm-batch'), 65534, 65534);
    const input = writePrompts(ctx.dir, 'p.txt', ['one', 'two']);
    const env = { HOME: shared, LLM_BATCH_CACHE_DIR: undefined, LLM_BATCH_NO_CACHE: undefined, XDG_CACHE_HOME: undefined, NODE_COMPILE_CACHE: undefined };
    const r = await runCli([input, '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'out.jsonl')], { env, cache: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `llm-batch: the default cache directory ${path.join(theirs, 'llm-batch')} could be changed by another user (${fs.realpathSync(path.join(theirs, 'llm-batch'))} belongs to another user (uid 65534)): running without the response cache`,
    );
    expect(fs.readdirSync(path.join(theirs, 'llm-batch'))).toEqual([]);

    const own = path.join(ctx.dir, 'own');
    fs.mkdirSync(own, { mode: 0o700 });
    const mine = await runCli([input, '--base-url', ctx.server.url, '-o', path.join(ctx.dir, 'mine.jsonl')], { env: { ...env, HOME: own }, cache: true });
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stderr).not.toMatch(/could be changed by another user/);
    expect(fs.readdirSync(path.join(own, '.cache', 'llm-batch'))).toContain('answers-v2.lmdb');
  });
});
