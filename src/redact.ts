/**
 * Removes secrets from text before it reaches a terminal, a log or a result file. Servers echo keys
 * back in 401 messages ("Incorrect API key provided: sk-..."), so every message passes through here.
 */
export function createRedactor(secrets: ReadonlyArray<string | undefined>): (text: string) => string {
  const exact = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => {
    let out = text;
    for (const s of exact) out = out.split(s).join('[redacted]');
    // Anything shaped like an OpenAI-style key, even one we were not given (e.g. a masked echo).
    return out.replace(/\b(sk|rk|pk)-[A-Za-z0-9_*.-]{6,}/g, '[redacted]');
  };
}
