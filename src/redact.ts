/**
 * A proxy's password (or its `user:password`, or their Basic base64): a secret however short or
 * word-like it is. Unlike a key it is never taken for a placeholder, so `SECRETPW` is scrubbed out of
 * a longer word too. Under {@link MIN_SECRET} characters it is not scrubbed on its own (it would take
 * every such word out of answers): proxy-env.ts hands over `user:password` and its Basic form then.
 */
export interface Password {
  readonly password: string;
}

/** A key or any other string (a placeholder such as `ollama` only as a word of its own), or a {@link Password}. */
export type Secret = string | Password;

/** The shortest secret scrubbed: shorter ones would redact ordinary words. */
export const MIN_SECRET = 4;

/**
 * Removes secrets from text before it reaches a terminal, a log or a result file. Servers echo keys
 * back in 401 messages ("Incorrect API key provided: sk-..."), so every message passes through here.
 * So do URLs: a parse error repeats the --base-url it refused, a gateway may echo the URL it called.
 * Their credentials go too: the userinfo (`https://user:password@host` → `https://***@host`, as a
 * bare `user:password@host`) and the value of a query parameter named for a secret (`?api-key=`,
 * `&key=`, `access_token=`, `sig=` … → `?api-key=***`); other parameters (`?after=…`) stay.
 *
 * A secret is matched however a server or proxy wrote it: each character as itself or escaped
 * (`\/` as PHP's json_encode writes `/`, `\u002d`, `%2D`, `&#45;`), since `-v` shows raw bodies. A
 * placeholder key (see isPlaceholder) is only scrubbed where it stands as a word of its own.
 *
 * It runs on every message and answer, so the secrets are one regex, compiled here: a call is a pass
 * for them and one for the key shape (plus the URL patterns where an `@` or `=` is in it); the shape
 * in the secrets' pass, or a pass per secret, costs more. Where two secrets overlap (`bob:pw` and
 * `bob`) the match that starts first is taken, the longer where both start at one place.
 */
export function createRedactor(secrets: ReadonlyArray<Secret | undefined>): (text: string) => string {
  const pattern = secretsPattern(secrets);
  return (text) => redactUrlCredentials((pattern ? text.replace(pattern, '[redacted]') : text).replace(KEY_SHAPE, '[redacted]'));
}

/** Anything shaped like an OpenAI-style key, even one we were not given (e.g. a masked echo). */
const KEY_SHAPE = /\b(sk|rk|pk)-[A-Za-z0-9_*.-]{6,}/g;

/**
 * Only the key itself, in the forms {@link createRedactor} matches it in (a placeholder key such as
 * `ollama` only as a word of its own): for text the user typed, such as the arguments a resume
 * command repeats, where other `sk-…`-like words (a `sk-learn` folder) must stay as typed.
 */
export function createKeyRedactor(secret: string | undefined): (text: string) => string {
  const pattern = secretsPattern([secret]);
  return pattern ? (text) => text.replace(pattern, '[redacted]') : (text) => text;
}

/** The secrets' patterns as one regex, the longest first (where two start at one place, the longer is taken whole); undefined for none. */
function secretsPattern(secrets: ReadonlyArray<Secret | undefined>): RegExp | undefined {
  const alternatives = given(secrets).map(({ text, password }) => secretPattern(text, !password && isPlaceholder(text)));
  return alternatives.length === 0 ? undefined : new RegExp(alternatives.join('|'), 'gu');
}

/**
 * Strings (keys and other secrets) and {@link Password}s of at least MIN_SECRET characters, without
 * the spaces around them (a key read with its newline: that would take the text's own with it), once
 * each, the longest first.
 */
function given(secrets: ReadonlyArray<Secret | undefined>): { text: string; password: boolean }[] {
  const seen = new Map<string, boolean>();
  for (const s of secrets) {
    if (s === undefined) continue;
    const [text, password] = typeof s === 'string' ? [s.trim(), false] : [s.password.trim(), true];
    if (text.length >= MIN_SECRET) seen.set(text, password || (seen.get(text) ?? false));
  }
  return [...seen].map(([text, password]) => ({ text, password })).sort((a, b) => b.text.length - a.text.length);
}

/**
 * Fewer than 12 characters and no digit: `ollama`, `EMPTY`, `lm-studio`, `not-needed`, the values
 * local servers' docs tell users to export. Scrubbed inside other words they would mangle a model
 * name (`ollama-llama3` → `[redacted]-llama3`); a key worth keeping secret is longer or has a digit.
 */
export function isPlaceholder(secret: string): boolean {
  return secret.length < 12 && !/\d/.test(secret);
}

/** Characters that continue a word (a model name `ollama-llama3`, a path `hf.co/ollama`) around a placeholder. */
const WORD = String.raw`[\p{L}\p{N}_\-/:@]`;

function secretPattern(secret: string, placeholder: boolean): string {
  const body = Array.from(secret, charForms).join('');
  return placeholder ? String.raw`(?<!${WORD}|\.)${body}(?!${WORD}|\.[\p{L}\p{N}])` : body;
}

const NAMED_ENTITIES: Record<string, string> = { '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' };

/** One character of a secret as a pattern: itself, or any escape of it a serializer or proxy writes. */
function charForms(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const units = Array.from({ length: ch.length }, (_, i) => ch.charCodeAt(i));
  const forms = [
    escapeRegExp(ch),
    units.map((unit) => String.raw`\\+u${hex(unit, 4)}`).join(''),
    String.raw`\\+u\{0*${hex(cp)}\}`,
    [...new TextEncoder().encode(ch)].map((byte) => `%${hex(byte, 2)}`).join(''),
    `&#0*${cp};`,
    `&#[xX]0*${hex(cp)};`,
  ];
  if (cp < 0x100) forms.push(String.raw`\\+x${hex(cp, 2)}`);
  // `\/`, `\-`, `\"`: punctuation with a backslash before it (JSON, shells, regexes).
  if (cp < 0x80 && !/[A-Za-z0-9]/.test(ch)) forms.push(String.raw`\\+${escapeRegExp(ch)}`);
  const named = NAMED_ENTITIES[ch];
  if (named) forms.push(`&${named};`);
  return `(?:${forms.join('|')})`;
}

/** Hex digits of `n` as a pattern that takes either case (`2d`, `2D`), padded to `width`. */
function hex(n: number, width = 1): string {
  return [...n.toString(16).padStart(width, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
}

/** Escaped for a `u` pattern, which refuses an escape before a character that needs none (`\-`). */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `scheme://userinfo@`: everything up to the authority's last `@` (a password may hold one unescaped). */
const URL_USERINFO = /(\b[a-z][a-z\d+.-]*:\/\/)[^\s"<>/?#]*@/gi;
/** `user:password@host` without a scheme (OPENAI_BASE_URL=user:pw@host/v1), from the start of a word. */
const BARE_USERINFO = /(^|[\s'"(<=,])[^\s'"<>/?#@:]+:[^\s"<>/?#]*@(?=[^\s@/])/g;
/** A query (or fragment) parameter named for a secret, and its value. */
const SECRET_PARAM = /([?&#;])([^=&#\s"'<>]*(?:key|token|secret|passw|pwd|credential|auth)[^=&#\s"'<>]*|sig|signature)=[^&#\s"'<>]+/gi;

function redactUrlCredentials(text: string): string {
  if (!text.includes('@') && !text.includes('=')) return text;
  return text.replace(URL_USERINFO, '$1***@').replace(BARE_USERINFO, '$1***@').replace(SECRET_PARAM, '$1$2=***');
}
