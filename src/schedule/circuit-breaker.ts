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

/**
 * Stops a run whose first requests all fail the same endpoint-level way (nothing listening, a web
 * page instead of the API, a server that ignores `stream: true`): every further prompt would meet
 * the same wall, four attempts each. One success disarms it for the rest of the run.
 */
export class CircuitBreaker {
  private armed = true;
  private seen: string | undefined;
  private count = 0;

  onSuccess(): void {
    this.armed = false;
  }

  /** The failing code once the breaker trips, else undefined. `failure` is an attempt error's info. */
  onFailure(failure: { readonly code?: string }): string | undefined {
    if (!this.armed) return undefined;
    const code = failure.code;
    if (code === undefined || !ENDPOINT_CODES.has(code) || (this.seen !== undefined && code !== this.seen)) {
      // A different failure: the endpoint answers in more than one way, so it is not simply unusable.
      this.armed = false;
      return undefined;
    }
    this.seen = code;
    return ++this.count >= BREAKER_THRESHOLD ? code : undefined;
  }
}
