/**
 * --summary-json, --report and --trace each write a file of their own. Named as the input, the
 * output or a file a resume reads beside the output, they would append trace lines to the prompts
 * (sent, and paid, by the next --resume) or break the next resume: refused before anything is sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';

const { dir, fresh, writeFile } = useServers('llm-batch-side-files-');

describe('a side file may not be a file the run already uses', () => {
  it.each([
    [['--trace', 'IN'], /^llm-batch: --trace \S+p\.txt is the input file: choose another path$/m],
    [['--trace', 'OUT'], /--trace \S+ is the output file/],
    [['--trace', 'OUT.meta.json'], /--trace \S+ is the output’s run settings file/],
    [['--summary-json', 'OUT.meta.json'], /--summary-json \S+ is the output’s run settings file/],
    [['--report', 'OUT.batch.json'], /--report \S+ is the output’s batch manifest file/],
    [['--summary-json', 'OUT.lock'], /--summary-json \S+ is the output’s lock file/],
    [['--report', 'SIDE', '--trace', 'SIDE'], /--trace \S+ is the --report file/],
  ])('%j is refused with exit 2; nothing is sent or written', async (flags, message) => {
    const { run, server } = await fresh();
    const prompts = 'one\ntwo\n';
    const input = writeFile('p.txt', prompts);
    const out = path.join(dir, 'out.jsonl');
    const side = path.join(dir, 'side.html');
    const named = flags.map((f) =>
      f
        .replace(/^IN$/, input)
        .replace(/^OUT/, out)
        .replace(/^SIDE$/, side),
    );
    const r = await run([input, '-o', out, ...named]);
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
    expect(fs.readFileSync(input, 'utf8')).toBe(prompts);
    expect(fs.readdirSync(dir).sort()).toEqual(['p.txt']);
  });
});
