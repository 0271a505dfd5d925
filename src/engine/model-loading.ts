import type { AttemptError } from '../provider/completion.js';
import type { Clock } from '../util/clock.js';

/**
 * llama.cpp's server answers `503 Loading model` until its model is in memory (seconds to minutes):
 * a cron job that starts it beside the batch would otherwise fail every prompt within the 3.5 s its
 * retries last.
 */
export const isModelLoading = (error: AttemptError): boolean => error.info.status === 503 && /\bloading model\b/i.test(error.message);

/** How long a model may keep saying it loads, from its first such reply, before they fail as any 503. */
export const LOADING_WAIT_MS = 10 * 60_000;
/** Between two probes of a loading model. */
export const LOADING_PROBE_MS = 1_000;

interface Waiter {
  resume: () => void;
  cancel: () => void;
}

interface ModelWait {
  readonly since: number;
  readonly waiters: Waiter[];
  ticking: boolean;
}

/**
 * Prompts whose request met a model still loading, per model (llama.cpp's router loads each on its
 * own). They wait uncounted, and once a second one of them is sent again as the probe: every
 * prompt in hand tried each second (-c 100 kept ~200 waiting) flooded the server with ~200
 * requests a second. The model's first answer sends everyone waiting for it. After LOADING_WAIT_MS
 * from its first loading reply every waiter goes, and its loading replies fail as any 503 does.
 */
export class LoadingWaits {
  private readonly models = new Map<string, ModelWait>();

  constructor(
    private readonly clock: Clock,
    private readonly stop: AbortSignal,
  ) {}

  /**
   * Holds a prompt that met `model` loading: `resume` sends it again (in a later turn), `cancel`
   * ends it when the run stops first. False when the model's wait is over: nothing is held.
   */
  hold(model: string, resume: () => void, cancel: () => void): boolean {
    // After a stop no tick would come to cancel it: a request sent before the stop may still answer so.
    if (this.stop.aborted) return false;
    let wait = this.models.get(model);
    if (!wait) this.models.set(model, (wait = { since: this.clock.now(), waiters: [], ticking: false }));
    if (this.clock.now() - wait.since >= LOADING_WAIT_MS) {
      release(wait.waiters);
      return false;
    }
    wait.waiters.push({ resume, cancel });
    if (!wait.ticking) this.tick(wait);
    return true;
  }

  /** An answer from `model`: it has loaded, and whoever waits for it goes now. */
  loaded(model: string): void {
    const wait = this.models.get(model);
    if (!wait) return;
    this.models.delete(model);
    release(wait.waiters);
  }

  private tick(wait: ModelWait): void {
    wait.ticking = true;
    this.clock.sleep(LOADING_PROBE_MS, this.stop).then(
      () => {
        if (this.clock.now() - wait.since >= LOADING_WAIT_MS) release(wait.waiters);
        else wait.waiters.shift()?.resume();
        if (wait.waiters.length > 0) this.tick(wait);
        else wait.ticking = false;
      },
      () => {
        wait.ticking = false;
        for (const waiter of wait.waiters.splice(0)) waiter.cancel();
      },
    );
  }
}

function release(waiters: Waiter[]): void {
  for (const waiter of waiters.splice(0)) waiter.resume();
}
