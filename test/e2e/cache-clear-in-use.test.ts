/**
 * `llm-batch cache clear` while a run has the cache open: the cache is emptied in place, so the
 * run's later answers land in the file every later run reads. Deleting the file instead (as clear
 * did) left the run writing into a deleted file: the next run paid for those answers again. A file
 * that looked damaged skipped that check and was deleted under the run all the same (a healthy big
 * cache looked damaged after a prune, session 32): the first test's cache never looked damaged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { parseJsonl, runCli, spawnCli, waitForExit } from '../helpers/run-cli.js';
import { until } from '../helpers/until.js';

const { dir, fresh, writeFile } = useServers('llm-batch-cache-clear-');

interface Row {
  prompt: string;
  cached?: true;
}

const entries = async (cacheDir: string): Promise<number> => {
  const r = await runCli(['cache', 'stats', '--json', '--cache-dir', cacheDir]);
  // Once (Node 22, a whole CI run) it printed nothing: say how it ended, not "Unexpected end of JSON input".
  if (r.code !== 0 || r.stdout.trim() === '') throw new Error(`cache stats --json: exit ${r.code} (signal ${r.signal}), stderr: ${r.stderr}`);
  return JSON.parse(r.stdout).entries ?? 0;
};

describe('cache clear while a run has the cache open', () => {
  it.skipIf(!fs.existsSync('/proc/locks'))('empties it in place: the run goes on caching into the file later runs read', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The second prompt's answer waits until the cache has been cleared.
    const { server } = await fresh({ latencyMs: 0, fault: ({ prompt }) => void (prompt === 'answered after the clear' && (server.options.hold = held)) });
    const input = writeFile('p.txt', 'answered before the clear\nanswered after the clear\n');
    const cacheDir = path.join(dir, 'cache');
    const args = [input, '--base-url', server.url, '--cache-dir', cacheDir, '-c', '1', '-f', 'jsonl'];

    const first = spawnCli(args);
    const exit = waitForExit(first);
    await until(() => server.requests.length === 2, 'the second request to be in flight');
    // The first answer is committed within a second of arriving.
    for (let n = 0; n < 100 && (await entries(cacheDir)) < 1; n++);
    expect(await entries(cacheDir)).toBe(1);

    const clear = await runCli(['cache', 'clear', '--cache-dir', cacheDir]);
    expect(clear.code, clear.stderr).toBe(0);
    expect(clear.stderr).toMatch(/^llm-batch: removed 1 cached answer from .*\(emptied in place, as a run may have it open/);
    expect(await entries(cacheDir)).toBe(0);
    release();
    expect((await exit).code).toBe(0);

    const second = await runCli(args);
    expect(second.code, second.stderr).toBe(0);
    const rows = parseJsonl<Row>(second.stdout);
    expect(rows.find((r) => r.prompt === 'answered after the clear')?.cached).toBe(true);
    expect(rows.find((r) => r.prompt === 'answered before the clear')?.cached).toBeUndefined();
    expect(server.requests).toHaveLength(3);

    // With no run on it, clear removes the files (and gives their space back).
    const idle = await runCli(['cache', 'clear', '--cache-dir', cacheDir]);
    expect(idle.stderr).toBe(`llm-batch: removed 2 cached answers from ${cacheDir}\n`);
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  it.skipIf(!fs.existsSync('/proc/locks'))(
    'a file that looks damaged is not removed under the run: one line, exit 2; removed once the run has ended',
    async () => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const { server } = await fresh({ latencyMs: 0, fault: ({ prompt }) => void (prompt === 'answered after the clear' && (server.options.hold = held)) });
      const input = writeFile('q.txt', 'answered before the clear\nanswered after the clear\n');
      const cacheDir = path.join(dir, 'damaged-cache');
      const first = spawnCli([input, '--base-url', server.url, '--cache-dir', cacheDir, '-c', '1', '-f', 'jsonl']);
      const exit = waitForExit(first);
      await until(() => server.requests.length === 2, 'the second request to be in flight');
      for (let n = 0; n < 100 && (await entries(cacheDir)) < 1; n++);
      expect(await entries(cacheDir)).toBe(1);

      // Meta page 1's magic overwritten: the check calls the file damaged; the run, which picks its
      // meta page by transaction id alone, goes on.
      const file = path.join(cacheDir, 'answers-v2.lmdb');
      const pageSize = fs.readFileSync(file).readUInt32LE(48);
      const fd = fs.openSync(file, 'r+');
      fs.writeSync(fd, Buffer.alloc(4, 0xab), 0, 4, pageSize + 24);
      fs.closeSync(fd);
      const inode = fs.statSync(file).ino;

      const clear = await runCli(['cache', 'clear', '--cache-dir', cacheDir]);
      expect(clear.code, clear.stderr).toBe(2);
      expect(clear.stderr).toMatch(
        new RegExp(
          `^llm-batch: cache clear: a run has ${file} open, so it is not removed while it does \\(it looks damaged: page 1 is not an LMDB meta page\\); once that run has ended, \`llm-batch cache clear --cache-dir ${cacheDir}\` removes it\n$`,
        ),
      );
      expect(fs.statSync(file).ino).toBe(inode);
      release();
      expect((await exit).code).toBe(0);

      const idle = await runCli(['cache', 'clear', '--cache-dir', cacheDir]);
      expect(idle.code, idle.stderr).toBe(0);
      expect(fs.readdirSync(cacheDir)).toEqual([]);
    },
  );
});
