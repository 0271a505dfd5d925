/** The event loop's busy share (0 to 1) since the previous call; the first call measures from process start. */
export type BusyShare = () => number;

/** Node's own measure: time spent running callbacks against time spent waiting in the poll phase. */
export function loopBusyShare(): BusyShare {
  let last: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  return () => {
    const now = performance.eventLoopUtilization();
    const share = last ? performance.eventLoopUtilization(now, last).utilization : now.utilization;
    last = now;
    return share;
  };
}

export interface WhenIdleOptions {
  /** How often to look. @default 5 */
  pollMs?: number;
  /**
   * Busy below this share of a poll interval counts as idle. Sending a wave of 100 requests kept
   * the loop 55–60 % busy (the sockets connect in between); the poll after its last was at 30 %.
   * @default 0.2
   */
  idleBelow?: number;
  busyShare?: BusyShare;
}

/**
 * Runs `task` once, at the first poll interval in which the event loop was mostly waiting: for
 * set-up that can be done ahead of need but costs tens of milliseconds of one thread, so that it
 * lands while the run waits on the network rather than on the path of the answers coming back
 * (issue 16). Never keeps the process alive; the returned function cancels it.
 */
export function whenIdle(task: () => void, options: WhenIdleOptions = {}): () => void {
  const { pollMs = 5, idleBelow = 0.2 } = options;
  const busyShare = options.busyShare ?? loopBusyShare();
  busyShare();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const poll = () => {
    if (busyShare() < idleBelow) {
      timer = undefined;
      task();
      return;
    }
    timer = setTimeout(poll, pollMs).unref();
  };
  timer = setTimeout(poll, pollMs).unref();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
