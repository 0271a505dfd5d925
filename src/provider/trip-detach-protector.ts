/**
 * Tells V8, before the run's hot code is optimized, that ArrayBuffers do get detached here (issue 16).
 * undici's HTTP parser lives in WebAssembly memory, and the first time that memory grows (a socket
 * read larger than any before: several answers at once, a long one) V8 detaches the old buffer and
 * drops an assumption ("no buffer was ever detached") that its optimized code of anything touching
 * a Buffer or typed array relied on: mid-run, the engine's hottest functions (`attempt`, `process`,
 * the input reader) fell back to the interpreter and were compiled again. Detaching an empty buffer
 * first drops the assumption while nothing is optimized yet; the code compiled afterwards is what it
 * would have been after the growth anyway. Node 20, 22 and 24 alike.
 */
let tripped = false;

export function tripDetachProtector(): void {
  if (tripped) return;
  tripped = true;
  const buffer = new ArrayBuffer(0);
  structuredClone(buffer, { transfer: [buffer] });
}
