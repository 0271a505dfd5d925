import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * NODE_OPTIONS (`--import=…`) for a CLI that sends itself `signal` once, right after its `nth` `call`
 * (`fs.openSync`, `fs.writeFileSync`) of a path that ends with `suffix`: a signal at a known step of
 * the run (`openSync` of the temp file a compaction starts with; `writeFileSync` of the --summary-json
 * written just before the report, whose path is opened earlier to check it), with no race against a
 * timer or a file's size. The hook module is written in `dir`.
 */
export function signalOnWrite(dir: string, call: 'openSync' | 'writeFileSync', suffix: string, signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM', nth = 1): string {
  const hook = path.join(dir, `signal-on-write-${call}-${signal}.mjs`);
  fs.writeFileSync(
    hook,
    [
      "import fs from 'node:fs';",
      "import { syncBuiltinESMExports } from 'node:module';",
      'let sent = false;',
      `let left = ${nth};`,
      `const original = fs.${call};`,
      `fs.${call} = function (file, ...rest) {`,
      '  const result = original.call(this, file, ...rest);',
      `  if (!sent && typeof file === 'string' && file.endsWith(${JSON.stringify(suffix)}) && --left === 0) {`,
      '    sent = true;',
      `    process.kill(process.pid, ${JSON.stringify(signal)});`,
      '  }',
      '  return result;',
      '};',
      'syncBuiltinESMExports();',
      '',
    ].join('\n'),
  );
  return `--import=${pathToFileURL(hook).href}`;
}
