import fs from 'node:fs';
import { RunError } from '../errors.js';
import { streamWriter, writeEach, type CsvLayout, type OutputFormat, type RowWriter } from '../output/index.js';
import { errorMessage } from '../util/error-message.js';
import { isOwnStdStream } from './stream-target.js';
import { openPipe, pipeSocket } from '../util/pipe-socket.js';

/** How often a FIFO with nobody reading it is asked again. */
const POLL_MS = 100;
/** How long the wait goes on before it is said: a reader started with the run comes at once. */
const SAY_AFTER_MS = 1000;

export interface WaitForReaderOptions {
  /** Opens the FIFO for writing without waiting: a descriptor, or `undefined` while nobody reads it. */
  tryOpen: () => number | undefined;
  /** Ends the wait (Ctrl-C, SIGTERM): resolves `undefined`. */
  stop: AbortSignal;
  /** Said once, when the wait has lasted `sayAfterMs`. */
  onSlow: () => void;
  pollMs?: number;
  sayAfterMs?: number;
}

/**
 * Waits until the FIFO has a reader, asking without blocking every `pollMs`: a blocking open would
 * hold a thread of libuv's pool that nothing can free, and the process could not end at all, not
 * even by process.exit (libuv joins its threads at exit). Resolves the descriptor, or `undefined`
 * once `stop` aborts; rejects what `tryOpen` throws.
 */
export function waitForReader(o: WaitForReaderOptions): Promise<number | undefined> {
  const pollMs = o.pollMs ?? POLL_MS;
  const sayAfterMs = o.sayAfterMs ?? SAY_AFTER_MS;
  return new Promise((resolve, reject) => {
    let waited = 0;
    let said = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (settleWith: () => void) => {
      clearTimeout(timer);
      o.stop.removeEventListener('abort', onStop);
      settleWith();
    };
    const onStop = () => settle(() => resolve(undefined));
    const attempt = () => {
      let fd: number | undefined;
      try {
        fd = o.tryOpen();
      } catch (err) {
        settle(() => reject(err));
        return;
      }
      if (fd !== undefined) {
        settle(() => resolve(fd));
        return;
      }
      if (!said && waited >= sayAfterMs) {
        said = true;
        o.onSlow();
      }
      waited += pollMs;
      timer = setTimeout(attempt, pollMs);
    };
    if (o.stop.aborted) return resolve(undefined);
    o.stop.addEventListener('abort', onStop, { once: true });
    attempt();
  });
}

/** Opens `file` for writing if someone reads it (see openPipe: `undefined` while nobody does). */
function openIfRead(file: string): number | undefined {
  try {
    return openPipe(file, 'write');
  } catch (err) {
    throw new RunError(`Cannot open output ${file}: ${errorMessage(err)}`, 'output');
  }
}

export interface FifoOutput {
  /** Writes once `waitForReader` has found a reader; until then close() has nothing to do. */
  writer: RowWriter;
  /**
   * Waits for the FIFO's reader (`say` tells after a moment that it does): whether one came before
   * `stop` aborted. Rows that could go nowhere are not paid for, so a run sends nothing before this.
   */
  waitForReader(stop: AbortSignal, say: (line: string) => void): Promise<boolean>;
}

/**
 * A live run's `-o FIFO`, but for the process's own stdout and stderr named as files (written
 * through the streams it holds, see openStreamOutput); `undefined` for any other path. The FIFO is
 * written through a socket over its descriptor, as Node writes a pipe: no thread of libuv's pool
 * is ever blocked on it (see waitForReader), and the descriptor opened while asking is the one
 * written, so no second, blocking open can wait on a reader that left in between.
 */
export function openFifoOutput(file: string, format: OutputFormat, layout: CsvLayout): FifoOutput | undefined {
  if (isOwnStdStream(file) || !fs.statSync(file, { throwIfNoEntry: false })?.isFIFO()) return undefined;
  let opened: RowWriter | undefined;
  const notOpen = () => Promise.reject(new RunError(`${file} is not open: it has no reader yet`, 'output'));
  return {
    writer: {
      write: (row) => (opened ? opened.write(row) : notOpen()),
      writeMany: (rows) => (opened ? writeEach(opened, rows) : notOpen()),
      close: () => opened?.close() ?? Promise.resolve(),
      stopWaiting: () => opened?.stopWaiting?.(),
    },
    async waitForReader(stop, say) {
      const fd = await waitForReader({
        tryOpen: () => openIfRead(file),
        stop,
        onSlow: () =>
          say(`${file} is a FIFO with nobody reading it: no prompt is sent until a program opens it for reading (e.g. cat ${file} in another shell)`),
      });
      if (fd === undefined) {
        say(`nobody opened ${file} for reading: no prompt was sent`);
        return false;
      }
      opened = streamWriter(await pipeSocket(fd, 'write'), format, layout, { end: true });
      return true;
    },
  };
}
