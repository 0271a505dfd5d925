import { createRequire } from 'node:module';
import { CommanderError } from 'commander';
import { ExitCode, OutputClosedError, RunError } from '../errors.js';
import { resolveCliConfig } from './config.js';
import { createProgram, type RawFlags } from './program.js';
import { tuneHeap } from './tune-heap.js';
import type { CliIo } from './io.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** Parses the arguments, then loads the heavy parts only for a real run. Returns the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = createProgram(version)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? ExitCode.ok : ExitCode.usage;
    }
    throw err;
  }
  try {
    const config = resolveCliConfig(program.args[0], program.opts<RawFlags>(), {
      env: io.env,
      stdinIsTTY: io.stdin.isTTY === true,
      stdoutIsTTY: io.stdout.isTTY === true,
    }, argv);
    tuneHeap();
    const { runCommand } = await import('./run-command.js');
    return await runCommand(config, io);
  } catch (err) {
    if (err instanceof RunError) {
      if (!(err instanceof OutputClosedError)) io.stderr.write(`llm-batch: ${err.message}\n`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.stack ?? err.message : String(err);
    io.stderr.write(`llm-batch: internal error: ${message}\n`);
    return ExitCode.someFailed;
  }
}
