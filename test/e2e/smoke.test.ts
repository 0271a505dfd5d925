import { describe, expect, it } from 'vitest';
import { SECRET_KEY, parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { useServer } from '../helpers/mock-server-hooks.js';

const ctx = useServer('llm-batch-smoke-');

describe('smoke: the built CLI against the mock server', () => {
  it('answers every prompt, rows on piped stdout, summary on stderr', async () => {
    const file = writePrompts(ctx.dir, 'p.txt', ['alpha', 'beta [[fault:500]]', 'gamma [[fault:cut]]']);
    const r = await runCli([file, '--base-url', ctx.server.url, '-c', '2'], { env: {}, cache: true });
    expect(r.code).toBe(0);
    const rows = parseJsonl(r.stdout);
    expect(rows.map((x) => x.response).sort()).toEqual(['ECHO alpha', 'ECHO beta [[fault:500]]', 'ECHO gamma [[fault:cut]]']);
    expect(rows.find((x) => x.prompt.startsWith('beta')).attempts).toBe(2);
    expect(r.stderr).toMatch(/3 ok, 0 failed/);
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });
});
