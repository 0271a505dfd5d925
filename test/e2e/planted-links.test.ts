/**
 * Another user's symlink in a shared directory (sticky and writable by all, as /tmp or a team's
 * pub/) at a file a command replaces (OUT.meta.json, --report, report's and merge's -o) is not
 * followed: an attacker's `pub/nightly.jsonl.meta.json` → `~/.ssh/authorized_keys` would otherwise
 * have the victim's run overwrite that file. Root hands the link to nobody (skipped otherwise).
 * Spawns the BUILT CLI against the mock server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir: root, fresh } = useServers('llm-batch-planted-links-');
const NOBODY = 65534;

/** A shared directory (1777) holding p.txt and done.jsonl, a finished run's output, and a file of the victim's outside it. */
async function sharedDir(): Promise<{ at: (name: string) => string; victim: string; plant: (name: string) => void }> {
  const home = fs.mkdtempSync(path.join(root, 'home-'));
  const victim = path.join(home, 'authorized_keys');
  fs.writeFileSync(victim, 'ssh-ed25519 AAAA\n');
  const dir = fs.mkdtempSync(path.join(root, 'pub-'));
  fs.chmodSync(dir, 0o1777);
  const at = (name: string) => path.join(dir, name);
  fs.writeFileSync(at('p.txt'), 'one\ntwo\n');
  const plant = (name: string) => {
    fs.symlinkSync(victim, at(name));
    fs.lchownSync(at(name), NOBODY, NOBODY);
  };
  return { at, victim, plant };
}

const refusal = (name: string) => `${name}: it is a symlink that another user (uid ${NOBODY}) made in `;

describe.runIf(process.getuid?.() === 0).concurrent('a symlink another user planted in a shared directory', () => {
  it('at OUT.meta.json of a fresh run: exit 2, nothing sent, the file it leads to untouched', async () => {
    const { server } = await fresh();
    const c = await sharedDir();
    c.plant('nightly.jsonl.meta.json');
    const r = await runInWorker([c.at('p.txt'), '-o', c.at('nightly.jsonl'), '--base-url', server.url]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`llm-batch: Cannot write run metadata ${refusal(c.at('nightly.jsonl.meta.json'))}`);
    expect(server.requests).toHaveLength(0);
    expect(fs.readFileSync(c.victim, 'utf8')).toBe('ssh-ed25519 AAAA\n');
    expect(fs.existsSync(c.at('nightly.jsonl'))).toBe(false);
  });

  type At = { at: (name: string) => string };
  it.each([
    ['--report', (c: At) => [c.at('p.txt'), '-o', c.at('out.jsonl'), '--report', c.at('r.html'), '--overwrite'], '--report', true, 'r.html'],
    ['-o', (c: At) => [c.at('p.txt'), '-o', c.at('r.html'), '-f', 'jsonl', '--overwrite'], '--output', true, 'r.html'],
    ['report -o', (c: At) => ['report', c.at('done.jsonl'), '-o', c.at('r.html'), '--overwrite'], '--output', false, 'r.html'],
    // A merged file is .jsonl or .csv (names-say-formats.test.ts).
    ['merge -o', (c: At) => ['merge', c.at('done.jsonl'), '-o', c.at('r.jsonl'), '--overwrite'], '-o', false, 'r.jsonl'],
  ] as const)('at %s FILE --overwrite: exit 2 before anything is sent, the file it leads to untouched', async (_, args, flag, isRun, name) => {
    const { server, run } = await fresh();
    const c = await sharedDir();
    expect((await run([c.at('p.txt'), '-o', c.at('done.jsonl')])).code).toBe(0);
    const sent = server.requests.length;
    c.plant(name);
    const r = isRun ? await run([...args(c)]) : await runInWorker([...args(c)]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`llm-batch: ${flag} ${refusal(c.at(name))}`);
    expect(server.requests).toHaveLength(sent);
    expect(fs.readFileSync(c.victim, 'utf8')).toBe('ssh-ed25519 AAAA\n');
  });
});
