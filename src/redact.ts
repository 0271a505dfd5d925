/**
 * Removes secrets from text before it reaches a terminal, a log or a result file. Servers echo keys
 * back in 401 messages ("Incorrect API key provided: sk-..."), so every message passes through here.
 * So do URLs: a parse error repeats the --base-url it refused, a gateway may echo the URL it called.
 * Their credentials go too: the userinfo (`https://user:password@host` → `https://***@host`, as a
 * bare `user:password@host`) and the value of a query parameter named for a secret (`?api-key=`,
 * `&key=`, `access_token=`, `sig=` … → `?api-key=***`); other parameters (`?after=…`) stay.
 */
export function createRedactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const exact = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => {
    let out = text;
    for (const s of exact) out = out.split(s).join('[redacted]');
    // Anything shaped like an OpenAI-style key, even one we were not given (e.g. a masked echo).
    out = out.replace(/\b(sk|rk|pk)-[A-Za-z0-9_*.-]{6,}/g, '[redacted]');
    return redactUrlCredentials(out);
  };
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
