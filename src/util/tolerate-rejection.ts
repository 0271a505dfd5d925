/**
 * Rejections a library leaves unhandled that must not end a run: node 20/22's own fetch parser
 * failing to load under `ulimit -v` (cli/tune-wasm.ts), lmdb's commit failures (cache/). One
 * 'unhandledRejection' listener for them all: any other rejection is thrown, as node would, so one
 * kind tolerated never swallows another.
 */
const tolerated: Array<(reason: unknown) => boolean> = [];

export function tolerateRejection(matches: (reason: unknown) => boolean): void {
  if (tolerated.length === 0) process.on('unhandledRejection', onUnhandled);
  if (!tolerated.includes(matches)) tolerated.push(matches);
}

export function onUnhandled(reason: unknown): void {
  if (tolerated.some((matches) => matches(reason))) return;
  throw reason;
}
