// Deletes the declaration files the library's types do not reach from dist/index.d.ts. tsc writes one
// for every module (370); the package's `types` needs 61 of them, and the others took 1.2 MB of the
// install's 30 MB (each a 4 kB block or more on disk). Only .d.ts files: the built JavaScript stays.
import fs from 'node:fs';
import path from 'node:path';

const dist = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist');
const reached = new Set();
const pending = [path.join(dist, 'index.d.ts')];
while (pending.length > 0) {
  const file = pending.pop();
  if (reached.has(file) || !fs.existsSync(file)) continue;
  reached.add(file);
  const text = fs.readFileSync(file, 'utf8');
  for (const [, spec] of text.matchAll(/(?:from|import\()\s*["'](\.{1,2}\/[^"']+)["']/g))
    pending.push(path.join(path.dirname(file), spec.replace(/\.js$/, '.d.ts')));
}
if (reached.size === 0) throw new Error(`prune-types: ${dist}/index.d.ts is missing: build with tsc first`);
let removed = 0;
for (const entry of fs.readdirSync(dist, { recursive: true })) {
  const file = path.join(dist, String(entry));
  if (file.endsWith('.d.ts') && !reached.has(file)) {
    fs.rmSync(file);
    removed++;
  }
}
console.log(`prune-types: kept ${reached.size} declaration files, removed ${removed}`);
