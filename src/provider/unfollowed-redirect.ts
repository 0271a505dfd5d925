import { clipText } from '../util/clip-text.js';

/**
 * A 301, 302 or 303 to a chat completion: not followed, as fetch would, by a GET that drops the
 * request (307 and 308 keep the POST, and are followed: chat-post.ts). An http:// --base-url of a
 * host that serves only https gets one for every request; the row names where it points, which the
 * run-level line repeats when every request got one (outcome.ts).
 */
export const isUnfollowedRedirect = (status: number | undefined): boolean => status === 301 || status === 302 || status === 303;

const CHAT_PATH = /\/chat\/completions\/?$/;

/**
 * The row's words for an unfollowed redirect to `location`: where it points, without its query or
 * fragment (a server may put a token there) or any userinfo, and the --base-url that asks there.
 * Undefined without a Location to name.
 */
export function unfollowedRedirect(status: number, location: string | null | undefined): string | undefined {
  if (!location) return undefined;
  const url = URL.canParse(location) ? new URL(location) : undefined;
  // A relative or protocol-relative Location (`//user:pw@host/…`) is named as sent, less its userinfo too.
  const named = url ? `${url.origin}${url.pathname}` : location.replace(/[?#].*$/s, '').replace(/^\/\/[^/]*@/, '//');
  // Cut between path segments: one may be a key (`https://gateway/KEY/v1`), which a cut inside would leave in part.
  const target = clipText(named, 300, /[/\s]/);
  const base = url && (url.protocol === 'https:' || url.protocol === 'http:') && CHAT_PATH.test(url.pathname) ? target.replace(CHAT_PATH, '') : undefined;
  return `HTTP ${status} to ${target}: llm-batch does not follow 301/302/303 for a POST; set --base-url to ${base ?? 'where it points'}`;
}
