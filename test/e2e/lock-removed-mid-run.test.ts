/**
 * The output's lock removed while its run goes on (`rm out.jsonl.lock`, as the refusal of a second
 * run suggests when it thinks the lock is left over): the run makes it again at its next heartbeat,
 * says so once, and a second run on the same output is refused as before, not let in to write the
 * same rows twice. (A lock taken by another run before that heartbeat: test/cli/output-target.test.ts.)
 * Through the BUILT CLI against the mock server, an answer held while the test acts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, waitForExit, writePrompts } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const ctx = useServerAndCaseDir('llm-batch-lock-removed-');

describe('the output lock removed during the run', () => {
  it('is made again within a heartbeat (said once): a --resume of the same output is refused, every prompt asked once', async () => {
    const prompts = ['alpha', 'beta', 'gamma', 'delta'];
    const input = writePrompts(ctx.dir, 'p.txt', prompts);
    const out = path.join(ctx.dir, 'out.jsonl');
    const lock = `${out}.lock`;
    let release!: () => void;
    const answer = new Promise<void>((resolve) => (release = resolve));
    ctx.server.options.hold = ({ prompt }) => (prompt === 'delta' ? answer : undefined);
    const child = spawnCli([input, '-c', '4', '-o', out, '--base-url', ctx.server.url]);
    const exit = waitForExit(child, 30_000);
    try {
      await until(() => ctx.server.requests.some((r) => r.prompt === 'delta') && fs.existsSync(lock), 'the request for delta');
      fs.rmSync(lock);
      // The heartbeat comes every 10 s.
      await until(() => fs.existsSync(lock), `${lock} made again`, 15_000);
      const second = await runCli([input, '-o', out, '--resume', '--base-url', ctx.server.url]);
      expect(second.code, second.stderr).toBe(75);
      expect(second.stderr).toContain(`the output is in use by another llm-batch run (pid ${child.pid}`);
    } finally {
      release();
      delete ctx.server.options.hold;
    }
    const r = await exit;
    expect(r.code, r.stderr).toBe(0);
    expect(stderrLines(r)[0]).toBe(`llm-batch: ${lock} was removed during the run: made it again, so that no other run writes to the same output`);
    expect(stderrLines(r).filter((l) => l.includes('was removed'))).toHaveLength(1);
    expect(
      parseJsonl<{ prompt: string }>(fs.readFileSync(out, 'utf8'))
        .map((row) => row.prompt)
        .sort(),
    ).toEqual([...prompts].sort());
    expect(ctx.server.requests).toHaveLength(prompts.length);
    expect(fs.existsSync(lock)).toBe(false);
  });
});
