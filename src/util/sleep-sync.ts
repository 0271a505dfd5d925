const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `ms` (the event loop with it): for the short waits of a synchronous write. */
export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}
