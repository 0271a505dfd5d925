/**
 * The library's declarations as a demanding consumer compiles them: `strict`,
 * `exactOptionalPropertyTypes`, declarations checked (no skipLibCheck) and the DOM's `lib` beside
 * Node's types (a web app's server side). Each was a compile error in a library user's project:
 * `WatchedContext` against `exactOptionalPropertyTypes`, a `fetch` body to `readRecords` under the
 * DOM's ReadableStream, a `complete` of `{ text, headers: {…} }` as the README has it. Reads the
 * built tree (`npm run build`) and runs the project's own tsc.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/run-cli.js';

const HOST = `import { createOpenAIComplete, readRecords, runBatch, type Complete, type PromptRecord } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))};

const mine: Complete = async () => ({ text: 'ok', headers: { 'retry-after': '1' } });
const bare: Complete = async () => ({ text: 'ok' });
const ours = createOpenAIComplete({ apiKey: 'k', organization: 'org-1', project: 'proj-1' });
export async function main(): Promise<void> {
  const records: PromptRecord[] = [];
  for await (const record of readRecords(new Response('a\\n').body!, { format: 'txt', source: 'x' })) records.push(record);
  for (const complete of [mine, bare, ours]) for await (const row of runBatch(records, { complete, model: 'm' })) void row;
}
`;

it('compile under strict, exactOptionalPropertyTypes and the DOM lib, declarations checked', () => {
  const { dir, cleanup } = tempDir('llm-batch-consumer-types-');
  try {
    fs.writeFileSync(path.join(dir, 'host.ts'), HOST);
    const compilerOptions = {
      strict: true,
      exactOptionalPropertyTypes: true,
      skipLibCheck: false,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022', 'dom', 'dom.iterable'],
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    };
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['host.ts'] }));
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8', timeout: 60_000 });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  } finally {
    cleanup();
  }
});
