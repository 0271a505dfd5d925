import { parseDuration, type RateLimitHeaders, type RetryAfter } from './rate-headers.js';

/** OpenAI's and Groq's words for the tokens-a-minute limit in a 429: "on tokens per min (TPM): Limit 90000, …". */
const TPM_LIMIT = /\btokens per min(?:ute)? \(TPM\): Limit (\d+)/i;
/** The same for requests: "on requests per min (RPM): Limit 500, Used 500, Requested 1." */
const RPM_LIMIT = /\brequests per min(?:ute)? \(RPM\): Limit (\d+)/i;
const REQUESTED = /\bRequested (\d+)/;
const TOO_LARGE = /\bRequest too large\b/i;

/** What a 429's message says of the tokens-a-minute limit, when it names it. */
export interface StatedTokenLimit {
  perMinute: number;
  /** The tokens the server counted for the refused request, when it says. */
  requested: number | undefined;
  /** "Request too large": this request exceeds the limit by itself, and waiting will not help. */
  tooLarge: boolean;
}

/**
 * The tokens-a-minute limit a 429's message states ("Request too large for gpt-4o-mini … on tokens
 * per min (TPM): Limit 90000, Requested 100511."), for a server, or a gateway, that sends no
 * x-ratelimit-* headers: the body is then all that says the limit.
 */
export function statedTokenLimit(message: string): StatedTokenLimit | undefined {
  const limit = TPM_LIMIT.exec(message);
  const perMinute = limit ? Number(limit[1]) : 0;
  if (!(perMinute > 0)) return undefined;
  const requested = REQUESTED.exec(message.slice(limit!.index));
  return { perMinute, requested: requested ? Number(requested[1]) : undefined, tooLarge: TOO_LARGE.test(message) };
}

/** OpenAI's and Groq's wait in a 429's words: "Please try again in 57.311s", "… in 1h0m0s", "… in 20ms". */
const TRY_AGAIN_IN = /\btry again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i;

/**
 * The wait a 429's message states, for a gateway that strips `retry-after`: without it the retries
 * came on their own backoff, seconds apart, and 140 of 200 rows failed in 14 s against a message
 * asking for 57 s. Whole-second precision, as `retry-after`'s.
 */
export function statedRetryAfter(message: string): RetryAfter | undefined {
  const said = TRY_AGAIN_IN.exec(message);
  const ms = said ? parseDuration(said[1]!.toLowerCase()) : undefined;
  return ms === undefined ? undefined : { ms, precise: false, from: 'its message' };
}

/** The requests-a-minute limit a 429's message states, when it names one. */
export function statedRequestLimit(message: string): number | undefined {
  const limit = RPM_LIMIT.exec(message);
  const perMinute = limit ? Number(limit[1]) : 0;
  return perMinute > 0 ? perMinute : undefined;
}

/**
 * `headers` with the limits, of tokens and of requests a minute, the message states where the
 * headers announce none: without them a run learnt the pace from 429s alone, one burst at a time.
 * A requests-a-minute limit the message states also wins over a header that says more: the message
 * names its window, the header does not, and Groq's `x-ratelimit-limit-requests` counts a day
 * (14,400 read as a minute's: 240 a second against a limit of 30 a minute). Its remaining and reset
 * go with it. A header that says less is kept: never a looser pace. See {@link perMinuteRequestHeaders}.
 */
export function withStatedLimits(headers: RateLimitHeaders | undefined, message: string): RateLimitHeaders | undefined {
  const tokens = headers?.limitTokens ? undefined : statedTokenLimit(message)?.perMinute;
  const stated = statedRequestLimit(message);
  const requests = stated !== undefined && (headers?.limitRequests === undefined || belowHeaders(stated, headers)) ? stated : undefined;
  if (tokens === undefined && requests === undefined) return headers;
  return {
    ...(requests !== undefined ? perMinuteRequestHeaders(headers) : headers),
    ...(tokens !== undefined ? { limitTokens: tokens } : {}),
    ...(requests !== undefined ? { limitRequests: requests } : {}),
  };
}

/** Whether `stated` requests a minute is below what the headers announce: their request figures count a longer window. */
const belowHeaders = (stated: number, headers: RateLimitHeaders | undefined): boolean => headers?.limitRequests !== undefined && stated < headers.limitRequests;

/** Whether a 429's message states a requests-a-minute limit below its headers'. */
export function contradictsRequestHeaders(headers: RateLimitHeaders | undefined, message: string): boolean {
  const stated = statedRequestLimit(message);
  return stated !== undefined && belowHeaders(stated, headers);
}

/** `headers` without their request figures, once a 429 showed they count another window than a minute. */
export function perMinuteRequestHeaders(headers: RateLimitHeaders | undefined): RateLimitHeaders | undefined {
  if (!headers) return headers;
  const { limitRequests, remainingRequests, resetRequestsMs, ...tokens } = headers;
  return tokens;
}
