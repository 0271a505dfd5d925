import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResumeState, readResults, repairPartialLine } from '../../src/output/index.js';
import { useTmpDir } from '../helpers/result-rows.js';

/**
 * End to end: a child process appends big multi-line rows as fast as it can and is SIGKILLed at a
 * random moment, several times over; after each kill we repair and resume like the CLI does.
 * Every row must be there exactly once, whole, in order. The child runs the real writer, compiled
 * from src/output (esbuild) into a temp dir.
 */
const root = resolve(import.meta.dirname, '../..');
const tmp = useTmpDir();
let built = '';

afterAll(() => {
  if (built) rmSync(built, { recursive: true, force: true });
});

beforeAll(() => {
  built = mkdtempSync(join(tmpdir(), 'llm-batch-sigkill-'));
  symlinkSync(join(root, 'node_modules'), join(built, 'node_modules'), 'dir');
  // esbuild, not tsc: the same code in 0.1 s of CPU instead of ~3 s, and like tsc here it does not
  // stop at type errors elsewhere (other modules mid-edit); the test needs the writer's code only.
  buildSync({
    entryPoints: [join(root, 'src/output/index.ts')],
    outfile: join(built, 'dist/output/index.js'),
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
  });
  expect(existsSync(join(built, 'dist/output/index.js'))).toBe(true);
  writeFileSync(join(built, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(built, 'child.js'),
    `import { openFileWriter } from './dist/output/index.js';
const [path, format, start] = process.argv.slice(2);
const w = openFileWriter(path, format, { append: true });
const body = 'a line of text, with "quotes" and =signs\\n'.repeat(2000);
process.stdout.write('ready\\n');
for (let i = Number(start); i < Number(start) + 400; i++) {
  await w.write({ id: 'r' + i, line: i, prompt: 'p' + i, response: body + i, error: null, attempts: 1,
    latency_ms: 1, model: 'm', finish_reason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 2 } });
}
setInterval(() => {}, 1000);
`,
  );
});

async function runAndKill(path: string, format: string, start: number, afterMs: number): Promise<void> {
  const child = spawn(process.execPath, [join(built, 'child.js'), path, format, String(start)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((res) => child.on('exit', res));
  const ready = await Promise.race([new Promise<boolean>((res) => child.stdout.once('data', () => res(true))), exited.then(() => false)]);
  expect(ready, 'child started').toBe(true);
  await new Promise((res) => setTimeout(res, afterMs));
  child.kill('SIGKILL');
  await exited;
}

describe.each(['jsonl', 'csv'] as const)('SIGKILL during writes (%s)', (format) => {
  it('loses and duplicates nothing across kills and resumes', async () => {
    const path = join(tmp(), `out.${format}`);
    let next = 0;
    for (let round = 0; round < 6; round++) {
      await repairPartialLine(path, format);
      const state = await loadResumeState(path, format);
      expect(state.rows).toBe(next);
      await runAndKill(path, format, next, 1 + Math.floor(Math.random() * 15));
      await repairPartialLine(path, format);
      let i = 0;
      for await (const row of readResults(path, format)) {
        expect(row.id).toBe(`r${i}`);
        expect(row.response?.endsWith(`\n${i}`)).toBe(true);
        i++;
      }
      expect(i).toBeGreaterThanOrEqual(next);
      next = i;
    }
  }, 60_000);
});
