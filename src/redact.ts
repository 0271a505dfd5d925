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
 * A key (see keyParts) is also scrubbed without its prefix (`LEAKCHECK-123…` of `sk-LEAKCHECK-123…`)
 * and where a server echoed it in part: masked (`sk-LEAK••••cdef`, `sk-…cdef`) or cut short.
 *
 * It runs on every message and answer, so its patterns are compiled here, into two regexes: a call
 * is a pass for the secrets in every form, one for the key's echoes and the key shape (plus the URL
 * patterns where an `@` or `=` is in it). Measured on 1 KB: the echoes in the first pass cost ~50%
 * more, in a pass of their own ~25%. Where two secrets overlap (`bob:pw` and `bob`) the match that
 * starts first is taken, the longer where both start at one place.
 */
export function createRedactor(secrets: ReadonlyArray<Secret | undefined>): (text: string) => string {
  const whole = secretsPattern(secrets);
  const echoes = echoesPattern(secrets);
  return (text) => redactUrlCredentials((whole ? text.replace(whole, '[redacted]') : text).replace(echoes, '[redacted]'));
}

/**
 * Anything shaped like an OpenAI-style key, even one we were not given (e.g. a masked echo): with a
 * digit or a mask's `*` in it, as a key's random body has, so that `sk-learn-pipeline` or a model
 * named `sk-learn-classifier` in a server's message stays (they read `[redacted]`).
 */
const KEY_SHAPE = String.raw`\b(?:sk|rk|pk)-(?=[A-Za-z0-9_*.-]*[\d*])[A-Za-z0-9_*.-]{6,}`;

/**
 * Only the key itself, in the forms {@link createRedactor} matches it in whole (a placeholder key
 * such as `ollama` only as a word of its own): for text the user typed, such as the arguments a
 * resume command repeats, where other `sk-…`-like words (a `sk-learn` folder) must stay as typed,
 * and for answers (one pass, as before: the answer path's cost is benchmarked).
 */
export function createKeyRedactor(secret: string | undefined): (text: string) => string {
  const pattern = secretsPattern([secret]);
  return pattern ? (text) => text.replace(pattern, '[redacted]') : (text) => text;
}

/**
 * The key in every form {@link createKeyRedactor} takes it in, as a global pattern, and each of its
 * characters as a sticky one (escaped, either case for a hex key): what tells, in a text streamed in
 * pieces, where the key stands and whether the text ends in its start. Undefined for a key the
 * redactor takes only as a word of its own (a placeholder) or not at all.
 */
export function keyForms(key: string): { whole: RegExp; chars: RegExp[]; cutShort: (rest: string, index: number) => boolean } | undefined {
  const text = key.trim();
  if (text.length < MIN_SECRET || isPlaceholder(text)) return undefined;
  const anyCase = keyParts(text)?.anyCase ?? false;
  const chars = Array.from(text);
  return {
    whole: new RegExp(forms(text, anyCase), 'gu'),
    chars: chars.map((ch) => new RegExp(forms(ch, anyCase), 'uy')),
    cutShort: (rest, index) => (anyCase ? [chars[index]!.toLowerCase(), chars[index]!.toUpperCase()] : [chars[index]!]).some((ch) => escapeCutShort(rest, ch)),
  };
}

/**
 * Whether `rest` is the start of an escape of `ch` that {@link charForms} takes, cut short (`%6`,
 * `\\u00`, `&#11`): a text streamed in pieces may end there, the rest of the key in the next.
 */
function escapeCutShort(rest: string, ch: string): boolean {
  // As charForms allows: any run of backslashes, zeros after `&#`, `&#x` and `\u{`, either case of hex digits.
  const cut = rest
    .replace(/^\\+/, '\\')
    .replace(/^(&#x?|\\u\{)0+/i, '$1')
    .toLowerCase();
  const cp = ch.codePointAt(0) ?? 0;
  const hexCp = cp.toString(16);
  const whole = [
    Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
    `\\u{${hexCp}}`,
    [...new TextEncoder().encode(ch)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join(''),
    `&#${cp};`,
    `&#x${hexCp};`,
    ...(cp < 0x100 ? [`\\x${hexCp.padStart(2, '0')}`] : []),
    ...(cp < 0x80 && !/[A-Za-z0-9]/.test(ch) ? [`\\${ch}`] : []),
    ...(NAMED_ENTITIES[ch] ? [`&${NAMED_ENTITIES[ch]};`] : []),
  ];
  return whole.some((form) => form.length > cut.length && form.startsWith(cut));
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

/** The secrets whole, each character as itself or escaped, as one regex (the longer first where two start at one place); undefined for none. */
function secretsPattern(secrets: ReadonlyArray<Secret | undefined>): RegExp | undefined {
  const alternatives = given(secrets).map(({ text, password }) => {
    if (password || !isPlaceholder(text)) return forms(text, keyParts(text)?.anyCase ?? false);
    return String.raw`(?<!${WORD}|\.)${forms(text, false)}(?!${WORD}|\.[\p{L}\p{N}])`;
  });
  return alternatives.length === 0 ? undefined : new RegExp(alternatives.join('|'), 'gu');
}

/** The keys' echoes (as written, not escaped) and the key shape, as one regex. */
function echoesPattern(secrets: ReadonlyArray<Secret | undefined>): RegExp {
  const keys = given(secrets).flatMap(({ text, password }) => (password ? [] : (keyParts(text) ?? [])));
  return new RegExp([...keys.flatMap(keyEchoPatterns), KEY_SHAPE].join('|'), 'g');
}

/** A key's parts: the prefix's parts (`sk-`, `proj-`) and the random body after them. */
interface KeyParts {
  key: string;
  prefixes: string[];
  body: string;
  /** Hex only (Azure's keys): a server may print it in upper case. */
  anyCase: boolean;
}

/** A key's prefix: parts of a few letters, maybe digits, and `-` or `_` (`sk-`, `sk-proj-`, `sk-ant-api03-`, `gsk_`, `hf_`, `xai-`). */
const KEY_PREFIX = /^(?:[A-Za-z]{1,7}\d{0,2}[-_])+/;

/**
 * A key with a body of 16 characters or more and a digit in it, as keys have (`sk-…`, `gsk_…`, 32
 * hex): only a body like that can be told by its first characters. Undefined for anything else
 * (a user name, `correcthorse`), which is scrubbed only whole.
 */
function keyParts(key: string): KeyParts | undefined {
  const prefix = KEY_PREFIX.exec(key)?.[0] ?? '';
  const body = key.slice(prefix.length);
  if (body.length < 16 || !/\d/.test(body)) return undefined;
  return { key, prefixes: prefix.match(/[^-_]*[-_]/g) ?? [], body, anyCase: /^[\da-f]+$/i.test(key) };
}

/**
 * How servers echo a key, as written: without its prefix or a part of it (`LEAKCHECK-123…`,
 * `proj-AbC…`); in part (`Incorrect API key provided: sk-LEAK••••cdef`): its first characters, at
 * least 4 of the body, then a mask (`***`, `••`, `...`, `…`, `xxx`) and maybe its last ones
 * (`sk-…cdef`: the prefix, or 4 characters of a key without one, is enough before the last 4); or
 * cut off after 8 of the body or more. So an
 * answer that names `sk-learn` or `gsk_` keeps it: only this key's own first characters count.
 */
function keyEchoPatterns({ key, prefixes, body, anyCase }: KeyParts): string[] {
  const shown = prefixes.join('').length;
  const lit = (from: number, to: number) => literal(key.slice(from, to), anyCase);
  const [tailed, masked, cut] = [shown > 0 ? shown : 4, Math.max(shown + 4, 6), Math.max(shown + 8, 8)];
  const rest = (n: number) => lit(tailed, n) + optionalPrefixes(key.slice(n, -1), anyCase);
  const unprefixed = prefixes.slice(1).reduce((before, part) => `(?:${before}${literal(part, anyCase)})?`, '') + literal(body, anyCase);
  // The three partial echoes as one alternative that starts with what they share: tried once where the key's start is not.
  const partial = `(?:${rest(tailed)}${MASK}${lit(key.length - 4, key.length)}|${rest(masked)}${MASK}${optionalSuffixes(key.slice(-4), anyCase)}|${rest(cut)})`;
  return [...(prefixes.length > 0 ? [unprefixed] : []), lit(0, tailed) + partial];
}

/**
 * What stands for hidden characters: `…`, or a run of `*`, `•`, `·`, `●` (2 or more), `.` or `x` (3
 * or more). A `.` after another mask is one only when more follows: `sk-LEAK****.` ends a sentence.
 */
const MASK = '(?:…|[*•·●]{2,}|\\.{3,}|[xX]{3,})(?:[*•·●xX…]|\\.(?=[*•·●.xX…]))*';

/** `text`'s characters as themselves (either case of a letter if `anyCase`). */
function literal(text: string, anyCase: boolean): string {
  return Array.from(text, (ch) => (anyCase && ch.toLowerCase() !== ch.toUpperCase() ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : escapeRegExp(ch))).join('');
}

/** Any start of `text`, maybe empty: `(?:a(?:b(?:c)?)?)?`. */
function optionalPrefixes(text: string, anyCase: boolean): string {
  return Array.from(text).reduceRight((after, ch) => `(?:${literal(ch, anyCase)}${after})?`, '');
}

/** Any end of `text`, maybe empty: `(?:(?:a?b)?c)?`. */
function optionalSuffixes(text: string, anyCase: boolean): string {
  return Array.from(text).reduce((before, ch) => `(?:${before}${literal(ch, anyCase)})?`, '');
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

/** `text` with each character as itself or escaped (either case of a letter if `anyCase`). */
function forms(text: string, anyCase: boolean): string {
  return Array.from(text, (ch) =>
    anyCase && ch.toLowerCase() !== ch.toUpperCase() ? `(?:${charForms(ch.toLowerCase())}|${charForms(ch.toUpperCase())})` : charForms(ch),
  ).join('');
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
