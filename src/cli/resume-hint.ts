import type { CliConfig } from './config.js';

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The exact command that finishes an interrupted run: the same arguments plus --resume, less
 * --overwrite (which contradicts it; the file now holds this run's rows). When an --overwrite run
 * stopped before replacing the old file (`oldFileKept`), the same command again: resuming would
 * continue the old results, the opposite of what it asked for.
 */
export function resumeHint(config: CliConfig, oldFileKept = false): string | null {
  if (config.output.kind !== 'file') return null;
  const args = oldFileKept ? [...config.argv] : config.argv.filter((arg) => arg !== '--overwrite');
  if (!oldFileKept && !args.includes('--resume')) args.push('--resume');
  const command = ['llm-batch', ...args].map(shellQuote).join(' ');
  return config.input.kind === 'stdin' ? `${command}  (with the same input on stdin)` : command;
}
