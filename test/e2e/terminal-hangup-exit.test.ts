/**
 * A run whose terminal hangs up (the window closed, ssh dropped) ends with exit 130, as the README
 * says, on every node the package runs on: node 20 aborted at exit instead (SIGABRT and a crash
 * dump, nodejs/node#51519) once it had written its rows and summary. The CLI's parent here is the
 * pty's owner, which reads its exit status. Needs python3 (its `pty` module); skipped without it.
 * Spawns the BUILT CLI.
 */
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, SECRET_KEY, isolatedCacheDir, writePrompts } from '../helpers/run-cli.js';
import { holdAnswers, useServer } from '../helpers/mock-server-hooks.js';
import { until } from '../helpers/until.js';

const ctx = useServer('llm-batch-hangup-exit-');
const python = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;

/**
 * Runs argv[3:] on a pty; closes it once the file argv[1] exists, then makes the file argv[2], and
 * prints the child's end as `exit N` or `signal N`.
 */
const PTY_OWNER = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[3], sys.argv[3:])
while not os.path.exists(sys.argv[1]):
    try:
        os.read(fd, 65536)
    except OSError:
        break
    time.sleep(0.01)
os.close(fd)
open(sys.argv[2], 'w').close()
_, status = os.waitpid(pid, 0)
print('signal %d' % os.WTERMSIG(status) if os.WIFSIGNALED(status) else 'exit %d' % os.WEXITSTATUS(status))
`;

describe('the terminal hanging up mid-run', () => {
  it.skipIf(!python)(`exit 130 on node ${process.versions.node}, after the rows and the summary`, async () => {
    const file = writePrompts(ctx.dir, 'hup.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'hup.jsonl');
    const summary = path.join(ctx.dir, 'hup.summary.json');
    const ready = path.join(ctx.dir, 'hup.ready');
    const closed = path.join(ctx.dir, 'hup.closed');
    const release = holdAnswers(ctx.server);
    const owner = spawn(
      'python3',
      ['-c', PTY_OWNER, ready, closed, process.execPath, BIN, file, '--base-url', ctx.server.url, '-o', out, '--summary-json', summary],
      {
        env: { ...process.env, OPENAI_API_KEY: SECRET_KEY, LLM_BATCH_CACHE_DIR: isolatedCacheDir(), TERM: 'xterm' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let said = '';
    owner.stdout!.on('data', (d: Buffer) => (said += d.toString()));
    const ended = new Promise<void>((resolve) => owner.on('exit', () => resolve()));
    try {
      // The requests are out and held: the hangup comes mid-run, and the answers only once it has.
      await until(() => ctx.server.requests.length >= 1, 'a request at the server');
      fs.writeFileSync(ready, '');
      await until(() => fs.existsSync(closed), 'the terminal closed');
    } finally {
      fs.writeFileSync(ready, '');
      release();
    }
    await ended;
    expect(said.trim()).toBe('exit 130');
    expect(JSON.parse(fs.readFileSync(summary, 'utf8'))).toMatchObject({ stopped: 'interrupted', exitCode: 130 });
  });
});
