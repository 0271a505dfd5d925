import fs from 'node:fs';
import { atProcessExit } from './process-exit.js';

let detached = false;

/**
 * After a SIGHUP (the terminal closed, ssh dropped): node 20 aborts at exit when it puts back the
 * terminal's modes and the terminal is gone (nodejs/node#51519, fixed in node 22): SIGABRT and a
 * crash dump instead of the run's exit 130, and where core dumps are kept, a core file holding the
 * process's memory, the key with it. Node leaves a descriptor alone that was reopened on another
 * file since it started: `terminals` (the std descriptors that are one) are reopened on /dev/null
 * as the process exits.
 */
export function detachTerminalAtExit(terminals: readonly number[]): void {
  if (detached || terminals.length === 0 || process.platform === 'win32' || Number(process.versions.node.split('.')[0]) >= 22) return;
  detached = true;
  atProcessExit(() => {
    for (const fd of terminals) {
      try {
        fs.closeSync(fd);
        const opened = fs.openSync('/dev/null', fd === 0 ? 'r' : 'w');
        if (opened !== fd) fs.closeSync(opened);
      } catch {
        // Closed is as good: node skips a descriptor it cannot see.
      }
    }
  });
}
