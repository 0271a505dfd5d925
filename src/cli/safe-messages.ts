import { sanitizeName } from '../util/sanitize.js';
import type { CliIo } from './io.js';

/** A message line, up to its line end; a progress line drawn after it (no line end yet) is not one. */
const MESSAGE_LINE = /(llm-batch: )([^\n]*)(?=\n)/g;

/**
 * `io` whose stderr shows every `llm-batch: …` line with its controls as `�`. The subcommands
 * (report, merge, compact, status, cancel, cache) name files in their lines, and a name such as
 * `$'x\e]0;PWNED\a.jsonl'` retitled and cleared the terminal: the run's reporter shows names so, and
 * these lines are many, each built where it is said. Progress drawing (`\r\e[K` and the line after
 * the last line end) passes as written; its names are shown safe where it draws them.
 */
export function withSafeMessages(io: CliIo): CliIo {
  const target = io.stderr;
  const write = (chunk: unknown, ...rest: unknown[]) =>
    (target.write as (...args: unknown[]) => boolean)(
      typeof chunk === 'string' ? chunk.replace(MESSAGE_LINE, (_, prefix: string, text: string) => prefix + sanitizeName(text)) : chunk,
      ...rest,
    );
  const stderr = new Proxy(target, {
    get(t, prop) {
      if (prop === 'write') return write;
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
  return new Proxy(io, { get: (t, prop) => (prop === 'stderr' ? stderr : Reflect.get(t, prop, t)) });
}
