/** Failures before a request could leave: no connection was made (nothing listening, DNS, routing, a certificate refused). */
const UNSENT_CODES = new Set([
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
  // A private CA's chain (a company's TLS inspection) that this machine does not trust, and
  // certificates not valid yet: the handshake fails before anything is sent, as for a self-signed one.
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_NOT_YET_VALID',
  // https:// to a port that speaks plain HTTP (Ollama's, vLLM's): undici's code for node:https's EPROTO.
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/**
 * A whole 200 that holds no answer, nor anything generated: a web page, nothing, an error in words.
 * Billed as an HTTP error status is: not at all (a wrong --base-url spent --max-cost's worst cases).
 */
const ANSWERLESS_CODES = new Set(['html_response', 'empty_response', 'error_response']);

/** Whether a failure is a whole response that nobody bills (see ANSWERLESS_CODES). */
export function answerless(code: string | undefined): boolean {
  return code !== undefined && ANSWERLESS_CODES.has(code);
}

/** Failures that say the endpoint itself is unusable, not that one request was unlucky. */
const ENDPOINT_CODES = new Set([...UNSENT_CODES, ...ANSWERLESS_CODES, 'EPROTO', 'not_streamed', 'streamed_anyway', 'encoded_response']);

/** Whether a failure's code says its request never reached the server, so nothing of it was billed. */
export function neverSent(code: string | undefined): boolean {
  return code !== undefined && UNSENT_CODES.has(code);
}

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

/** Failures that say nothing is there now: a server that answered before has stopped (or restarts). */
const GONE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);
/** The code returned when a server that answered before has refused every connection for GONE_MS. */
export const STOPPED_CONNECTING = 'stopped_connecting';
/**
 * How long every attempt may be refused, a retry included, before the run stops. Refusals are
 * instant and a prompt spends its retries in about two seconds: waiting longer would only turn
 * more prompts into failed rows, where a stop leaves them to `--resume`.
 */
export const GONE_MS = 1000;

/** A failed attempt's place among the run's: its number (CircuitBreaker.sent) and how many others are out. */
export interface BreakerAttempt {
  readonly serial: number;
  /** Attempts still in flight besides this one. */
  readonly othersOut: number;
}

/**
 * A run of timeouts in a run that retries nothing, where "a retry timed out too" cannot be the
 * evidence that the endpoint as a whole is at fault: the timeouts have outlasted every attempt that
 * was out when they began (none of them answered) and BREAKER_THRESHOLD attempts sent since timed out
 * as well. A stray timeout among requests that go on being answered (a flaky network at -c 64) never
 * gets there: one answer ends the run, and until every request already out has ended without one,
 * nothing stops. (Refused connections are retried whatever --retries says: see retriesFor.)
 */
class Outlast {
  /** Attempts out when it began, not ended yet. */
  private before: number;
  /** Attempts sent after it began that failed the same way. */
  private later = 0;

  /** `last`: the number of the last attempt sent when the first failure came; `othersOut`, those out then besides it. */
  constructor(
    private readonly last: number,
    othersOut: number,
  ) {
    this.before = othersOut;
  }

  /** An attempt ended unanswered (however it failed). */
  ended(serial: number): void {
    if (serial <= this.last && this.before > 0) this.before--;
  }

  /** Whether the run of failures is evidence enough, once this attempt of it failed too. */
  failed(serial: number): boolean {
    if (serial > this.last) this.later++;
    return this.before === 0 && this.later >= BREAKER_THRESHOLD;
  }
}

/** What the breaker needs of a failed attempt. */
export interface BreakerFailure {
  readonly code?: string;
  /** A timeout before any response headers came: the endpoint took the request and said nothing. */
  readonly noResponse?: boolean;
  /** The HTTP status, when the server answered. */
  readonly status?: number;
}

/**
 * Stops a run whose first requests all fail the same endpoint-level way (nothing listening, a web
 * page or an error body instead of the API's answer, a server that ignores `stream`): every
 * further prompt would meet the same wall, four attempts each. One success disarms it for the
 * rest of the run.
 *
 * Timeouts with no response at all (a black-holed port, a proxy whose backend is gone) count too,
 * but only once a retry has also timed out: a first wave that times out together may be a model
 * still loading. And a server that answered before, then goes silent, stops the run once every
 * attempt for SILENCE_MS got no response: a slow server that answers now and then never does; or
 * goes away (a local server that crashed: connections refused), once every attempt for GONE_MS,
 * a retry among them, was refused.
 *
 * A run that retries nothing (--retries 0) has no retry to time out too: there each timeout is a
 * prompt's failed row. Its no-response timeouts stop it once they have outlasted every request out
 * when they began and BREAKER_THRESHOLD requests sent since timed out too (see Outlast). Its refused
 * connections are retried all the same (they sent nothing), so the GONE_MS rule holds there as well.
 */
export class CircuitBreaker {
  private armed = true;
  private seen: string | undefined;
  private count = 0;
  private retried = false;
  /** Whether a failed attempt may be retried: with --retries 0, Outlast stands in for a retry that failed too. */
  private readonly retries: boolean;
  /** The number of the last attempt sent. */
  private serial = 0;
  /** The current run of counted failures, in a run that retries nothing. */
  private streak: Outlast | undefined;
  /** The current unbroken run of attempts that got no response: since when, and how many. */
  private silentSince: number | undefined;
  private silentCount = 0;
  /** The current unbroken run of refused connections after a success: since when, how many, a retry among them. */
  private gone: { since: number; count: number; retried: boolean } | undefined;

  /** `retries`: whether a failed attempt may be retried (false for --retries 0). */
  constructor(options: { retries?: boolean } = {}) {
    this.retries = options.retries ?? true;
  }

  /** An attempt is sent: its number, for onFailure and ended. */
  sent(): number {
    return ++this.serial;
  }

  /** An attempt ended without an answer, whatever the breaker makes of its failure (called before onFailure). */
  ended(serial: number): void {
    this.streak?.ended(serial);
  }

  onSuccess(): void {
    this.armed = false;
    this.silentSince = undefined;
    this.silentCount = 0;
    this.gone = undefined;
    this.streak = undefined;
  }

  /**
   * The failing code once the breaker trips, else undefined. `failure` is an attempt error's info,
   * `attempt` its 1-based number for its prompt, `now` the clock in ms, `sent` the attempt's number
   * and the others out (by default one sent just now, alone).
   */
  onFailure(failure: BreakerFailure, attempt = 1, now = 0, sent: BreakerAttempt = { serial: this.sent(), othersOut: 0 }): string | undefined {
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
    if (!this.armed) return this.goneFor(failure, attempt, now);
    if (code === undefined || !(code === NO_RESPONSE || ENDPOINT_CODES.has(code)) || (this.seen !== undefined && code !== this.seen)) {
      // A different failure: the endpoint answers in more than one way, so it is not simply unusable.
      this.armed = false;
      this.streak = undefined;
      return undefined;
    }
    this.seen = code;
    if (attempt > 1) this.retried = true;
    ++this.count;
    // Every failure counted here has the same code: the streak is only ever one of timeouts.
    if (code === NO_RESPONSE && !this.retried && !this.outlasted(sent)) return undefined;
    return this.count >= BREAKER_THRESHOLD ? code : undefined;
  }

  /** In a run that retries nothing: whether the current run of failures, this one its latest, is evidence enough (see Outlast). */
  private outlasted(sent: BreakerAttempt): boolean {
    if (this.retries) return false;
    this.streak ??= new Outlast(this.serial, sent.othersOut);
    return this.streak.failed(sent.serial);
  }

  /**
   * After a success: STOPPED_CONNECTING once the server has refused every connection for GONE_MS, a
   * retry among them. A refused connection is retried under --retries 0 too (it sent nothing: see
   * the engine's lastChance), so a restart within that second fails no prompt whatever --retries is.
   */
  private goneFor(failure: BreakerFailure, attempt: number, now: number): string | undefined {
    if (failure.code !== undefined && GONE_CODES.has(failure.code)) {
      const gone = (this.gone ??= { since: now, count: 0, retried: false });
      gone.count++;
      if (attempt > 1) gone.retried = true;
      return gone.count >= BREAKER_THRESHOLD && gone.retried && now - gone.since >= GONE_MS ? STOPPED_CONNECTING : undefined;
    }
    // An answer of any kind: the server is there. (A reset or a timeout says nothing either way.)
    if (failure.status !== undefined) this.gone = undefined;
    return undefined;
  }
}
