import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * NODE_OPTIONS (`--import=…`) for a CLI whose `performance.now()` moves on `stepMs` more at every
 * call than it really did: a line redrawn at most a few times a second is drawn at every chance,
 * with no file large enough to take that long, and no sleep. The hook module is written in `dir`.
 */
export function hastyClock(dir: string, stepMs: number): string {
  const hook = path.join(dir, `hasty-clock-${stepMs}.mjs`);
  fs.writeFileSync(
    hook,
    ['const now = performance.now.bind(performance);', 'let ahead = 0;', `performance.now = () => now() + (ahead += ${stepMs});`, ''].join('\n'),
  );
  return `--import=${pathToFileURL(hook).href}`;
}
