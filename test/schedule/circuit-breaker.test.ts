import { describe, expect, it } from 'vitest';
import { AttemptError } from '../../src/provider/completion.js';
import {
  BREAKER_THRESHOLD,
  CircuitBreaker,
  GONE_MS,
  NO_RESPONSE,
  SILENCE_MS,
  STOPPED_ANSWERING,
  STOPPED_CONNECTING,
  isEndpointCode,
  neverSent,
} from '../../src/schedule/circuit-breaker.js';

describe('TLS failures of the handshake', () => {
  it.each([
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_GET_ISSUER_CERT',
    'CERT_NOT_YET_VALID',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
  ])('%s: the request was never sent, and the endpoint is unusable', (code) => {
    expect(neverSent(code)).toBe(true);
    expect(isEndpointCode(code)).toBe(true);
  });
});

const fail = (code?: string) => new AttemptError('connection', 'x', code === undefined ? {} : { code }).info;

describe('CircuitBreaker', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'html_response', 'empty_response', 'error_response', 'not_streamed', 'streamed_anyway'])(
    'trips on the %s-th identical %s',
    (code) => {
      const breaker = new CircuitBreaker();
      for (let i = 1; i < BREAKER_THRESHOLD; i++) expect(breaker.onFailure(fail(code))).toBeUndefined();
      expect(breaker.onFailure(fail(code))).toBe(code);
    },
  );

  it.each([
    ['a success first', (b: CircuitBreaker) => b.onSuccess()],
    ['a different endpoint failure first', (b: CircuitBreaker) => b.onFailure(fail('html_response'))],
    ['an ordinary failure first (a 500, a reset)', (b: CircuitBreaker) => b.onFailure(fail('ECONNRESET'))],
    ['a failure without a code first', (b: CircuitBreaker) => b.onFailure(fail())],
  ])('never trips after %s', (_name, before) => {
    const breaker = new CircuitBreaker();
    before(breaker);
    for (let i = 0; i < 10; i++) expect(breaker.onFailure(fail('ECONNREFUSED'))).toBeUndefined();
  });

  describe('timeouts with no response at all', () => {
    const silent = { noResponse: true };
    const MIN = 60_000;

    it('a first wave timing out together is not enough (a model loading): a retry must time out too', () => {
      const breaker = new CircuitBreaker();
      for (let i = 0; i < 8; i++) expect(breaker.onFailure(silent, 1, 0)).toBeUndefined();
      expect(breaker.onFailure(silent, 2, 1000)).toBe(NO_RESPONSE);
    });

    it('needs the threshold even with retries (--retries and few prompts)', () => {
      const breaker = new CircuitBreaker();
      expect(breaker.onFailure(silent, 1)).toBeUndefined();
      expect(breaker.onFailure(silent, 2)).toBeUndefined();
      expect(breaker.onFailure(silent, 3)).toBe(NO_RESPONSE);
    });

    it('a timeout after data came (a stalled stream) is not silence: it disarms, as any other failure', () => {
      const breaker = new CircuitBreaker();
      expect(breaker.onFailure({}, 1)).toBeUndefined();
      for (let i = 1; i <= 10; i++) expect(breaker.onFailure(silent, 2, i * 1000)).toBeUndefined();
    });

    it('after a success: stops only once every attempt for SILENCE_MS got no response', () => {
      const breaker = new CircuitBreaker();
      breaker.onSuccess();
      for (let t = 0; t < SILENCE_MS; t += MIN) expect(breaker.onFailure(silent, 2, t)).toBeUndefined();
      expect(breaker.onFailure(silent, 3, SILENCE_MS)).toBe(STOPPED_ANSWERING);
    });

    it('a slow server that answers now and then is never stopped: each answer starts the count again', () => {
      const breaker = new CircuitBreaker();
      for (let t = 0; t < 10 * SILENCE_MS; t += MIN) {
        expect(breaker.onFailure(silent, 2, t)).toBeUndefined();
        if (t % (5 * MIN) === 0) breaker.onSuccess();
      }
    });

    it('any other answer from the server (a 500) breaks the silence too', () => {
      const breaker = new CircuitBreaker();
      breaker.onSuccess();
      for (let t = 0; t < 3 * SILENCE_MS; t += MIN) expect(breaker.onFailure(t % (9 * MIN) === 0 ? {} : silent, 2, t)).toBeUndefined();
    });

    it('--retries 0: silence for SILENCE_MS stops the run before any success too', () => {
      const breaker = new CircuitBreaker();
      for (let t = 0; t < SILENCE_MS; t += MIN) expect(breaker.onFailure(silent, 1, t)).toBeUndefined();
      expect(breaker.onFailure(silent, 1, SILENCE_MS)).toBe(NO_RESPONSE);
    });
  });

  describe('a server that answered, then refuses connections (it crashed, or restarts)', () => {
    const refused = (code = 'ECONNREFUSED') => ({ code });

    it.each(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'])('%s for GONE_MS, a retry among them: stopped', (code) => {
      const breaker = new CircuitBreaker();
      breaker.onSuccess();
      expect(breaker.onFailure(refused(code), 1, 0)).toBeUndefined();
      expect(breaker.onFailure(refused(code), 2, 300)).toBeUndefined();
      expect(breaker.onFailure(refused(code), 1, GONE_MS - 1)).toBeUndefined();
      expect(breaker.onFailure(refused(code), 1, GONE_MS)).toBe(STOPPED_CONNECTING);
    });

    it('a wave of first attempts refused at once is not enough: a retry must be refused too', () => {
      const breaker = new CircuitBreaker();
      breaker.onSuccess();
      for (let t = 0; t <= 3 * GONE_MS; t += 100) expect(breaker.onFailure(refused(), 1, t)).toBeUndefined();
      expect(breaker.onFailure(refused(), 2, 3 * GONE_MS)).toBe(STOPPED_CONNECTING);
    });

    it('an answer in between (a success, a 500) starts again; a reset or a timeout does not', () => {
      const breaker = new CircuitBreaker();
      breaker.onSuccess();
      expect(breaker.onFailure(refused(), 2, 0)).toBeUndefined();
      expect(breaker.onFailure(refused(), 2, 500)).toBeUndefined();
      breaker.onSuccess();
      expect(breaker.onFailure(refused(), 2, 600)).toBeUndefined();
      expect(breaker.onFailure({ status: 500 }, 2, 700)).toBeUndefined();
      expect(breaker.onFailure(refused(), 2, 800)).toBeUndefined();
      expect(breaker.onFailure({ code: 'ECONNRESET' }, 2, 900)).toBeUndefined();
      expect(breaker.onFailure({ noResponse: true }, 2, 1000)).toBeUndefined();
      expect(breaker.onFailure(refused(), 2, 1700)).toBeUndefined();
      expect(breaker.onFailure(refused(), 2, 800 + GONE_MS)).toBe(STOPPED_CONNECTING);
    });
  });

  describe('--retries 0: no retry to fail too, so the failures must outlast every request out when they began', () => {
    const refused = { code: 'ECONNREFUSED' };
    const silent = { noResponse: true };
    /** A breaker of a run that retries nothing, and a way to send attempts through it. */
    const noRetries = () => {
      const breaker = new CircuitBreaker({ retries: false });
      const send = (n: number) => Array.from({ length: n }, () => breaker.sent());
      return { breaker, send };
    };

    it('a server that went away: its refusals are retried (they sent nothing), so the GONE_MS rule stops it, not the first refusals', () => {
      const { breaker, send } = noRetries();
      breaker.onSuccess();
      // -c 4: four out when the server dies, all refused within milliseconds: a restart may be under way.
      const out = send(4);
      for (const [i, serial] of out.entries()) {
        breaker.ended(serial);
        expect(breaker.onFailure(refused, 1, i, { serial, othersOut: 3 - i })).toBeUndefined();
      }
      // Their retries, refused too, before a second has passed: still no stop.
      const again = send(4);
      for (const serial of again) {
        breaker.ended(serial);
        expect(breaker.onFailure(refused, 2, GONE_MS / 2, { serial, othersOut: 0 })).toBeUndefined();
      }
      // A second of refusals, a retry among them: the server is gone.
      const [last] = send(1);
      breaker.ended(last!);
      expect(breaker.onFailure(refused, 3, GONE_MS, { serial: last!, othersOut: 0 })).toBe(STOPPED_CONNECTING);
    });

    it('stray refusals at -c 64 while the other requests are still out (a slow server, a flaky network): never stopped', () => {
      const { breaker, send } = noRetries();
      breaker.onSuccess();
      const slow = send(63);
      // One slot after another is refused, for ten seconds: the 63 others, out since before, are not back.
      for (let t = 0; t <= 10 * GONE_MS; t += 100) {
        const [serial] = send(1);
        breaker.ended(serial!);
        expect(breaker.onFailure(refused, 1, t, { serial: serial!, othersOut: 63 })).toBeUndefined();
      }
      // 62 of them come back cut (a reset says nothing either way), one still out: not yet.
      for (const serial of slow.slice(0, -1)) {
        breaker.ended(serial);
        expect(breaker.onFailure({ code: 'ECONNRESET' }, 1, 11 * GONE_MS, { serial, othersOut: 63 })).toBeUndefined();
      }
      for (let i = 0; i < 10; i++) {
        const [serial] = send(1);
        breaker.ended(serial!);
        expect(breaker.onFailure(refused, 1, 12 * GONE_MS, { serial: serial!, othersOut: 1 })).toBeUndefined();
      }
      // Its answer: the server is there, and the count starts again.
      breaker.onSuccess();
      const [serial] = send(1);
      breaker.ended(serial!);
      expect(breaker.onFailure(refused, 1, 13 * GONE_MS, { serial: serial!, othersOut: 63 })).toBeUndefined();
    });

    it('refusals between answers (and 500s) are never BREAKER_THRESHOLD in a row: never stopped', () => {
      const { breaker, send } = noRetries();
      breaker.onSuccess();
      for (let t = 0; t < 100 * GONE_MS; t += 100) {
        const [serial] = send(1);
        breaker.ended(serial!);
        expect(breaker.onFailure(refused, 1, t, { serial: serial!, othersOut: 0 })).toBeUndefined();
        if (t % 300 === 200) breaker.onSuccess();
        if (t % 300 === 100) expect(breaker.onFailure({ status: 500 }, 1, t, { serial: send(1)[0]!, othersOut: 0 })).toBeUndefined();
      }
    });

    it('a first wave that times out together (a model loading) is not enough: BREAKER_THRESHOLD sent after it must time out too', () => {
      const { breaker, send } = noRetries();
      const wave = send(8);
      for (const [i, serial] of wave.entries()) {
        breaker.ended(serial);
        expect(breaker.onFailure(silent, 1, 500, { serial, othersOut: 7 - i })).toBeUndefined();
      }
      const next = send(8);
      for (const [i, serial] of next.slice(0, BREAKER_THRESHOLD - 1).entries()) {
        breaker.ended(serial);
        expect(breaker.onFailure(silent, 1, 1000, { serial, othersOut: 7 - i })).toBeUndefined();
      }
      breaker.ended(next[BREAKER_THRESHOLD - 1]!);
      expect(breaker.onFailure(silent, 1, 1000, { serial: next[BREAKER_THRESHOLD - 1]!, othersOut: 8 - BREAKER_THRESHOLD })).toBe(NO_RESPONSE);
    });

    it('the model loaded: one answer from the second wave disarms it, and later timeouts never stop the run', () => {
      const { breaker, send } = noRetries();
      for (const serial of send(8)) {
        breaker.ended(serial);
        expect(breaker.onFailure(silent, 1, 500, { serial, othersOut: 0 })).toBeUndefined();
      }
      breaker.onSuccess();
      for (let t = 1000; t < 20_000; t += 500) {
        const [serial] = send(1);
        breaker.ended(serial!);
        expect(breaker.onFailure(silent, 1, t, { serial: serial!, othersOut: 0 })).toBeUndefined();
      }
    });

    it('with retries the rule is as it was: a wave of first attempts refused is not enough, however many sent since', () => {
      const breaker = new CircuitBreaker({ retries: true });
      breaker.onSuccess();
      for (let t = 0; t <= 3 * GONE_MS; t += 100) {
        const serial = breaker.sent();
        breaker.ended(serial);
        expect(breaker.onFailure(refused, 1, t, { serial, othersOut: 0 })).toBeUndefined();
      }
      expect(breaker.onFailure(refused, 2, 3 * GONE_MS)).toBe(STOPPED_CONNECTING);
    });
  });
});
