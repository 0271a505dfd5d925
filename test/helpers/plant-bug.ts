import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * NODE_OPTIONS (`--import=…`) for a CLI with a bug planted: the first JSON.stringify of an object
 * whose `key` is `value` throws a TypeError, as a bug in making it would, at a known step rather
 * than on a timer: a result row (`prompt`, a prompt of the input), the run's own summary (`stopped`,
 * null), a report's data (`goneBatches`, 0). The TypeError says `words`. The hook module is
 * written in `dir`.
 */
export function bugOnStringify(dir: string, key: string, value: string | number | null, words = 'planted bug'): string {
  return hookModule(path.join(dir, `bug-on-${key}.mjs`), [
    'const original = JSON.stringify;',
    'let planted = true;',
    'JSON.stringify = function (value, ...rest) {',
    `  if (planted && value !== null && typeof value === 'object' && ${JSON.stringify(key)} in value && value[${JSON.stringify(key)}] === ${JSON.stringify(value)}) {`,
    '    planted = false;',
    `    throw new TypeError(${JSON.stringify(words)});`,
    '  }',
    '  return original.call(this, value, ...rest);',
    '};',
  ]);
}

/**
 * NODE_OPTIONS for a CLI whose first `Date#toISOString` called from a timer's callback throws a
 * TypeError carrying `words`: a bug where no promise of the run awaits it (the `--progress` line's
 * timer stamps its line so).
 */
export function bugInTimer(dir: string, words: string): string {
  return hookModule(path.join(dir, 'bug-in-timer.mjs'), [
    'const original = Date.prototype.toISOString;',
    'let planted = true;',
    'Date.prototype.toISOString = function () {',
    "  if (planted && (new Error().stack ?? '').includes('listOnTimeout')) {",
    '    planted = false;',
    `    throw new TypeError(${JSON.stringify(words)});`,
    '  }',
    '  return original.call(this);',
    '};',
  ]);
}

function hookModule(file: string, lines: readonly string[]): string {
  fs.writeFileSync(file, [...lines, ''].join('\n'));
  return `--import=${pathToFileURL(file).href}`;
}
