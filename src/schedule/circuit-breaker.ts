/** Failures that say the endpoint itself is unusable, not that one request was unlucky. */
const ENDPOINT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'html_response',
  'empty_response',
  'not_streamed',
]);

/** Whether a failure's code says the endpoint cannot be reached at all (nothing listening, DNS, TLS…). */
export function isEndpointCode(code: string | undefined): boolean {
  return code !== undefined && ENDPOINT_CODES.has(code);
}

/** Attempts that must all fail the same way, with no success yet, before the run stops. */
export const BREAKER_THRESHOLD = 3;

/** An attempt that timed out with nothing at all from the server (no response headers). */
export const NO_RESPONSE = 'no_response';
/** The code returned when a server that answered before has answered nothing for SILENCE_MS. */
export const STOPPED_ANSWERING = 'stopped_answering';
/** How long every attempt may end with no response at all before the run stops, whatever came before. */
export const SILENCE_MS = 10 * 60_000;

/** What the breaker needs of a failed attempt. */
export interface BreakerFailure {
  readonly code?: string;
  /** A timeout before any response headers came: the endpoint took the request and said nothing. */
  readonly noResponse?: boolean;
}

/**
 * Stops a run whose first requests all fail the same endpoint-level way (nothing listening, a web
 * page instead of the API, a server that ignores `stream: true`): every further prompt would meet
 * the same wall, four attempts each. One success disarms it for the rest of the run.
 *
 * Timeouts with no response at all (a black-holed port, a proxy whose backend is gone) count too,
 * but only once a retry has also timed out: a first wave that times out together may be a model
 * still loading. And a server that answered before, then goes silent, stops the run once every
 * attempt for SILENCE_MS got no response: a slow server that answers now and then never does.
 */
export class CircuitBreaker {
  private armed = true;
  private seen: string | undefined;
  private count = 0;
  private retried = false;
  /** The current unbroken run of attempts that got no response: since when, and how many. */
  private silentSince: number | undefined;
  private silentCount = 0;

  onSuccess(): void {
    this.armed = false;
    this.silentSince = undefined;
    this.silentCount = 0;
  }

  /**
   * The failing code once the breaker trips, else undefined. `failure` is an attempt error's info,
   * `attempt` its 1-based number for its prompt, `now` the clock in ms.
   */
  onFailure(failure: BreakerFailure, attempt = 1, now = 0): string | undefined {
    const code = failure.noResponse ? NO_RESPONSE : failure.code;
    if (code === NO_RESPONSE) {
      this.silentSince ??= now;
      this.silentCount++;
      if (this.silentCount >= BREAKER_THRESHOLD && now - this.silentSince >= SILENCE_MS) return this.armed ? NO_RESPONSE : STOPPED_ANSWERING;
    } else {
      // Anything else from the server: it is there, not silent.
      this.silentSince = undefined;
      this.silentCount = 0;
    }
    if (!this.armed) return undefined;
    if (code === undefined || !(code === NO_RESPONSE || ENDPOINT_CODES.has(code)) || (this.seen !== undefined && code !== this.seen)) {
      // A different failure: the endpoint answers in more than one way, so it is not simply unusable.
      this.armed = false;
      return undefined;
    }
    this.seen = code;
    if (attempt > 1) this.retried = true;
    ++this.count;
    if (code === NO_RESPONSE && !this.retried) return undefined;
    return this.count >= BREAKER_THRESHOLD ? code : undefined;
  }
}
