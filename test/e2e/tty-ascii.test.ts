/**
 * A locale that is not UTF-8 (`LANG=C`) on a terminal: what llm-batch itself draws around the
 * answers (the `──` of each header, the `✗` of a failure) comes in ASCII too, as the bar and the
 * summary already did. The answers are the model's and stay as they came.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';
import { runPty } from '../helpers/run-pty.js';

const ctx = useServer('llm-batch-tty-ascii-');

describe('answers on a terminal with LANG=C', () => {
  it('headers and failures in ASCII; nothing else outside ASCII but the answers', async () => {
    const file = writePrompts(ctx.dir, 'two.txt', ['[[fault:400*9]]bad', 'good']);
    const r = await runPty([file, '--base-url', ctx.server.url, '-c', '1', '--no-cache'], { cols: 80, env: { LANG: 'C' } });
    expect(r.code).toBe(1);
    const headers = r.screen.filter((l) => /^-- \[\d-\w+\] /.test(l));
    expect(headers.map((l) => l.replace(/^-- \[\d-\w+\] /, '')).sort()).toEqual(['[[fault:400*9]]bad', 'good']);
    expect(r.screen).toContain('x http: HTTP 400: Invalid request (mock fault).');
    expect(r.raw).not.toMatch(/[^\x00-\x7f]/);
  });

  it('the summary\'s "≥" and the "�" a sanitized file name shows come in ASCII too', async () => {
    const file = writePrompts(ctx.dir, 'esc\x1b[31m.txt', ['[[fault:cut*9]]cut', 'good']);
    const r = await runPty([file, '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '-c', '1', '--retries', '0', '--no-cache'], {
      cols: 200,
      env: { LANG: 'C' },
    });
    expect(r.code).toBe(1);
    const summary = r.screen.find((l) => l.startsWith('llm-batch: 1 ok'));
    expect(summary).toMatch(/ - est\. >= \$\S+ at /);
    expect(r.screen.join('\n')).toMatch(/\S*esc\?\[31m\.txt$/m);
    expect(r.raw).not.toMatch(/[^\x00-\x7f]/);
  });
});
