/**
 * Rejections a library leaves unhandled that must not end a run: node 20/22's own fetch parser
 * failing to load under `ulimit -v` (cli/tune-wasm.ts), lmdb's commit failures (cache/). One
 * 'unhandledRejection' listener for them all: any other rejection is thrown, as node would, so one
 * kind tolerated never swallows another. A matcher is given the promise too, so it can tell a
 * rejection by where it comes from rather than by what its message happens to say.
 */
type Matcher = (reason: unknown, promise?: Promise<unknown>) => boolean;

const tolerated: Matcher[] = [];

export function tolerateRejection(matches: Matcher): void {
  if (tolerated.length === 0) process.on('unhandledRejection', onUnhandled);
  if (!tolerated.includes(matches)) tolerated.push(matches);
}

export function onUnhandled(reason: unknown, promise?: Promise<unknown>): void {
  if (tolerated.some((matches) => matches(reason, promise))) return;
  throw reason;
}
