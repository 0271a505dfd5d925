import fs from 'node:fs';

let limited: boolean | undefined;

/**
 * Whether this process runs under an address-space limit (`ulimit -v`, as batch schedulers on
 * shared machines set: SLURM, Grid Engine's h_vmem). Things that reserve large stretches of
 * address space without using them then fail, and not always cleanly: V8 reserves ~10 GB for each
 * WebAssembly memory (undici's HTTP parser has one, and its failure to load cannot be caught), and
 * the response cache maps 16 GiB for its file. Read from /proc on Linux; elsewhere taken as none.
 */
export function addressSpaceLimited(): boolean {
  if (limited === undefined) {
    let text = '';
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      // Not Linux: no such file.
    }
    const line = /^Max address space\s+(\S+)/m.exec(text);
    limited = line !== null && line[1] !== 'unlimited';
  }
  return limited;
}
