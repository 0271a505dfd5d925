import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';

/** A CliIo in memory, for commands run in-process: what they printed on stdout and stderr, so far. */
export function memoryIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  const collect = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    return { stream, text: () => text };
  };
  const stdout = collect();
  const stderr = collect();
  return { stdin: new PassThrough(), stdout: stdout.stream, stderr: stderr.stream, env, onSignal: () => () => {}, out: stdout.text, err: stderr.text };
}
