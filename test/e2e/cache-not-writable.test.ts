/**
 * A --cache-dir whose store files are there but cannot be written by this user (another user's,
 * made read-only): LMDB failed on them only while opening them ("Permission denied: Attempting to
 * setup locks"), after the run had made an empty -o file and OUT.meta.json, and the --dry-run, which
 * opens the store read-only, counted answers from the cache its run then refused. Now both refuse it
 * alike before anything is written, and `cache clear` names the path it cannot remove.
 * The built CLI as AS_USER (nobody), on a cache root made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeAtRunEnd, runCli, runCliAsUser, userCanRunCli, writePrompts } from '../helpers/run-cli.js';

// Needs root to make files another user cannot write, and a node that user can run.
describe.runIf(process.getuid?.() === 0 && userCanRunCli())('a --cache-dir whose files this user cannot write', () => {
  it('the run and its --dry-run refuse it alike, before -o is made; cache clear names the path', async () => {
    const dir = removeAtRunEnd(fs.mkdtempSync(path.join('/tmp', 'llm-batch-ro-cache-')));
    try {
      fs.chmodSync(dir, 0o755);
      const cache = path.join(dir, 'cache');
      const seed = await runCli([writePrompts(dir, 'p.txt', ['one', 'two']), '--mock', '--cache-dir', cache, '-o', path.join(dir, 'seed.jsonl'), '-q']);
      expect(seed.code, seed.stderr).toBe(0);
      for (const name of fs.readdirSync(cache)) fs.chmodSync(path.join(cache, name), 0o444);
      fs.chmodSync(cache, 0o555);
      const outDir = path.join(dir, 'out');
      fs.mkdirSync(outDir, { mode: 0o777 });
      fs.chmodSync(outDir, 0o777);

      const refusal = `llm-batch: --cache-dir ${cache}: cannot write ${cache}/answers-v2.lmdb: permission denied (choose another --cache-dir, or --no-cache)\n`;
      const run = await runCliAsUser(['--mock', '--cache-dir', cache, '-o', path.join(outDir, 'o.jsonl')], 'one\ntwo\n');
      expect(run.stderr).toBe(refusal);
      expect(run.code).toBe(2);
      expect(fs.readdirSync(outDir)).toEqual([]);

      const dry = await runCliAsUser(['--mock', '--cache-dir', cache, '--dry-run'], 'one\ntwo\n');
      expect(dry.stderr).toBe(refusal);
      expect(dry.code).toBe(2);
      expect(dry.stdout).toBe('');

      const clear = await runCliAsUser(['cache', 'clear', '--cache-dir', cache], '');
      expect(clear.stderr).toMatch(new RegExp(`^llm-batch: cache clear: (cannot write )?${cache}/answers-v2\\.lmdb: permission denied\\n$`));
      expect(clear.code).toBe(2);
      expect(fs.readdirSync(cache).sort()).toEqual(['answers-v2.lmdb', 'answers-v2.lmdb-closed.json', 'answers-v2.lmdb-lock']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
