import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * NODE_OPTIONS (`--import=…`) for a CLI with a bug planted: JSON.stringify throws a TypeError on the
 * result row of `prompt` (any object whose `prompt` is it), as a bug in making a row would, at a
 * known row rather than on a timer. The hook module is written in `dir`.
 */
export function bugOnRow(dir: string, prompt: string): string {
  const hook = path.join(dir, 'bug-on-row.mjs');
  fs.writeFileSync(
    hook,
    [
      'const original = JSON.stringify;',
      'JSON.stringify = function (value, ...rest) {',
      `  if (value !== null && typeof value === 'object' && value.prompt === ${JSON.stringify(prompt)}) throw new TypeError('planted bug');`,
      '  return original.call(this, value, ...rest);',
      '};',
      '',
    ].join('\n'),
  );
  return `--import=${pathToFileURL(hook).href}`;
}
