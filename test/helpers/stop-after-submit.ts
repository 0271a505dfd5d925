import { spawnCli, waitForExit, type CliResult } from './run-cli.js';
import { until } from './until.js';

/** Runs the CLI with `args` and stops it by Ctrl-C once it submitted a batch of `requests` requests. */
export async function interruptedAfterSubmit(args: readonly string[], requests = 3): Promise<CliResult> {
  const child = spawnCli(args);
  const exited = waitForExit(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await until(() => new RegExp(`submitted ${requests} requests`).test(stderr), 'the batch to be submitted');
  child.kill('SIGINT');
  return exited;
}
