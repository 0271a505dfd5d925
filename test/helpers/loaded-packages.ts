import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Writes module hooks into `dir` that append every module a process resolves, as it resolves it, to
 * the file the JavaScript expression `fileExpression` names (hooks run on a thread of their own,
 * whose console output node 24 drops when a short run exits: they append synchronously). Returns
 * the `--import` flag that registers them, for NODE_OPTIONS.
 */
export function moduleTraceImport(dir: string, fileExpression: string): string {
  const hooks = path.join(dir, 'trace-hooks.mjs');
  const register = path.join(dir, 'trace-register.mjs');
  fs.writeFileSync(
    hooks,
    `import fs from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); fs.appendFileSync(${fileExpression}, \`\${r.url}\\n\`); return r; }\n`,
  );
  fs.writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return `--import=${pathToFileURL(register).href}`;
}

/**
 * The npm packages behind a list of loaded module URLs. The CLI runs from an esbuild bundle
 * (dist/bundle), where packages are compiled into chunks, so a loaded chunk stands for every
 * package esbuild put in it (its metafile, dist/bundle/meta.json, says which); a URL under
 * node_modules (a package left external) stands for itself.
 */
export function loadedPackages(urls: Iterable<string>, root: string): Set<string> {
  const outputs = readBundleOutputs(root);
  const found = new Set<string>();
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    const file = fileURLToPath(url);
    const direct = packageOf(file);
    if (direct) {
      found.add(direct);
      continue;
    }
    const rel = path.relative(root, file).split(path.sep).join('/');
    for (const input of outputs.get(rel) ?? []) {
      const pkg = packageOf(input);
      if (pkg) found.add(pkg);
    }
  }
  return found;
}

/** Output file (relative to root, '/'-separated) → the input files bundled into it. */
function readBundleOutputs(root: string): Map<string, string[]> {
  const metaFile = path.join(root, 'dist', 'bundle', 'meta.json');
  let meta: { outputs: Record<string, { inputs: Record<string, unknown> }> };
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${metaFile} (run npm run build first): ${String(err)}`);
  }
  return new Map(Object.entries(meta.outputs).map(([out, o]) => [out, Object.keys(o.inputs)]));
}

/** 'x/node_modules/@a/b/c.js' → '@a/b'; 'x/node_modules/a/c.js' → 'a'; the innermost package wins. */
function packageOf(file: string): string | undefined {
  const parts = file.split(/[\\/]/);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 1 >= parts.length) return undefined;
  return parts[i + 1]!.startsWith('@') ? `${parts[i + 1]}/${parts[i + 2]}` : parts[i + 1];
}
