import type { CliConfig } from './config.js';

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The exact command that finishes an interrupted run: the same arguments plus --resume, less
 * --overwrite (which contradicts it; the file now holds this run's rows).
 */
export function resumeCommand(config: CliConfig): string | null {
  if (config.output.kind !== 'file') return null;
  const args = config.argv.filter((arg) => arg !== '--overwrite');
  if (!args.includes('--resume')) args.push('--resume');
  const command = ['llm-batch', ...args].map(shellQuote).join(' ');
  return config.input.kind === 'stdin' ? `${command}  (with the same input on stdin)` : command;
}
