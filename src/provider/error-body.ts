/**
 * Error bodies as servers really send them. The SDK reads only OpenAI's `{"error": {"message"}}`:
 * vLLM's `{"object": "error", "message"}` becomes "400 status code (no body)", an Express
 * `{"error": "SyntaxError", "message"}` loses its message, and a proxy's HTML page is kept whole,
 * markup and all. Rewriting such bodies into OpenAI's shape before the SDK sees them keeps the
 * server's words, once, as one plain line.
 */

import { clipText } from '../util/clip-text.js';

/** What the SDK needs in `error`; `type` and `code` are kept when the server gave them. */
export interface ErrorWords {
  message: string;
  type?: string;
  code?: string;
}

const MAX_WORDS = 300;

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const cap = (text: string) => clipText(text, MAX_WORDS);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? oneLine(v) : undefined);

/**
 * The server's own words from an error body, or undefined when the SDK already reads it (an
 * OpenAI-shaped body) or there is nothing to read (an empty body).
 */
export function errorWords(raw: string, contentType: string | null): ErrorWords | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json !== undefined) return Array.isArray(json) ? listWords(json) : jsonWords(json);
  if (/html/i.test(contentType ?? '') || /^<(!doctype|html|head|body|center|h1|title)\b/i.test(text)) {
    const words = htmlWords(text);
    return words ? { message: cap(words) } : undefined;
  }
  return { message: cap(oneLine(text)) };
}

/**
 * Google's OpenAI endpoint sends its error in a list, `[{"error": {"code": 400, "message": "…",
 * "status": "INVALID_ARGUMENT"}}]`, which the SDK reads as no body: the first one's words, and its
 * `status` as the code when it gives no code in words.
 */
function listWords(list: unknown[]): ErrorWords | undefined {
  if (list.length === 0) return undefined;
  const first = list[0];
  const error = isObject(first) ? first['error'] : undefined;
  const message = isObject(error) ? str(error['message']) : undefined;
  if (!isObject(error) || message === undefined) return isObject(first) ? jsonWords(first) : { message: cap(oneLine(JSON.stringify(list))) };
  const type = str(error['type']);
  const code = str(error['code']) ?? str(error['status']);
  return { message: cap(message), ...(type ? { type } : {}), ...(code ? { code } : {}) };
}

function jsonWords(json: unknown): ErrorWords | undefined {
  if (!isObject(json)) return typeof json === 'string' && json.trim() ? { message: cap(oneLine(json)) } : undefined;
  const error = json['error'];
  if (isObject(error) && typeof error['message'] === 'string') return undefined; // OpenAI's shape
  // Mistral's 422 nests FastAPI's list in `message`: `{"message": {"detail": [...]}}`.
  const nested = json['message'];
  const message =
    str(json['message']) ??
    str(json['detail']) ??
    detailList(json['detail']) ??
    (isObject(nested) ? detailList(nested['detail']) : undefined) ??
    (isObject(error) ? str(error['msg']) : undefined);
  const errorName = str(error);
  const type = str(json['type']) ?? (errorName && message ? errorName : undefined);
  const code = str(json['code']);
  // `{"error": "SyntaxError", "message": "…"}`: the name and the words. `{"error": "model not found"}` (Ollama): the words.
  const words = errorName && message && !message.includes(errorName) ? `${errorName}: ${message}` : (message ?? errorName);
  if (words === undefined) return { message: cap(oneLine(JSON.stringify(json))) };
  return { message: cap(words), ...(type ? { type } : {}), ...(code ? { code } : {}) };
}

/**
 * The server's words for the error a 200's body holds in place of an answer, whatever its shape:
 * OpenAI's `{"error": {"message": …}}`, LM Studio's `{"error": "Unexpected endpoint or method. (POST
 * /chat/completions)"}` (its answer on a path it does not serve), an error without words as its
 * JSON. Undefined when the body holds no error.
 */
export function bodyErrorWords(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  const error = body['error'];
  if (error === undefined || error === null) return undefined;
  const words = isObject(error) ? providerErrorMessage(error) : jsonWords(body)?.message;
  return words ?? cap(oneLine(JSON.stringify(error)));
}

/** Statuses whose words the run reads for its pace, its budget or a stop: 402, 403, 413, 429. */
const OWN_WORDS_ONLY = new Set([402, 403, 413, 429]);

/**
 * An OpenAI-shaped error's message, on one line. OpenRouter says "Provider returned error" for any
 * upstream failure, with the upstream's own body in `metadata.raw` (a JSON string, text or an
 * object) and its name in `metadata.provider_name`: that cause is added, "Provider returned error
 * (Groq): context length exceeded". Undefined when the error has no message.
 */
export function providerErrorMessage(error: unknown, status?: number): string | undefined {
  if (!isObject(error)) return undefined;
  const message = str(error['message']);
  const metadata = error['metadata'];
  if (!isObject(metadata) || message === undefined) return message;
  // A limit, a bill or a refusal of one provider's is not the run's: its words (Groq's "tokens per
  // minute (TPM): Limit 6000", "requests per day") would pace, cut or stop a whole OpenRouter run,
  // which routes elsewhere. Said for other failures (a context too long, a provider's 5xx).
  const code = status ?? (typeof error['code'] === 'number' ? error['code'] : Number(error['code']));
  if (OWN_WORDS_ONLY.has(code)) return message;
  const raw = metadata['raw'];
  const text = typeof raw === 'string' ? raw : isObject(raw) ? JSON.stringify(raw) : '';
  // An OpenAI-shaped body, which errorWords leaves to the SDK: its message.
  const cause = errorWords(text, null)?.message ?? openAIMessage(text);
  if (cause === undefined || message.includes(cause)) return message;
  const provider = str(metadata['provider_name']);
  return cap(`${message}${provider ? ` (${provider})` : ''}: ${cause}`);
}

function openAIMessage(text: string): string | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return isObject(json) && isObject(json['error']) ? str(json['error']['message']) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * FastAPI's validation errors: `{"detail": [{"loc": ["body", "stream_options", "include_usage"],
 * "msg": "Extra inputs are not permitted"}]}`, each with the field it names (the words alone do not
 * say which field; naming it lets a refusal of `stream_options` be told).
 */
function detailList(detail: unknown): string | undefined {
  if (!Array.isArray(detail)) return undefined;
  const msgs = detail.map(detailWords).filter((m): m is string => m !== undefined);
  return msgs.length > 0 ? msgs.join('; ') : undefined;
}

function detailWords(d: unknown): string | undefined {
  if (!isObject(d)) return str(d);
  const msg = str(d['msg']);
  const loc = Array.isArray(d['loc'])
    ? d['loc']
        .filter((part, i) => !(i === 0 && part === 'body'))
        .map(String)
        .join('.')
    : '';
  return msg !== undefined && loc ? `${loc}: ${msg}` : msg;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** A page's text: its title, then each block of text once (nginx repeats its title as the heading). */
function htmlWords(html: string): string | undefined {
  const decode = (s: string) =>
    s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) =>
      e[0] === '#'
        ? String.fromCodePoint(parseInt(e[1] === 'x' || e[1] === 'X' ? e.slice(2) : e.slice(1), e[1] === 'x' || e[1] === 'X' ? 16 : 10))
        : (ENTITIES[e.toLowerCase()] ?? m),
    );
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const body = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, '\n');
  const seen = new Set<string>();
  const pieces: string[] = [];
  for (const piece of [title ?? '', ...body.split('\n')]) {
    const clean = oneLine(decode(piece));
    // The title with its status ("500 Internal Server Error"), the heading without it, once.
    const key = clean.toLowerCase().replace(/^\d{3}\s+/, '');
    if (clean === '' || seen.has(key)) continue;
    seen.add(key);
    pieces.push(clean);
  }
  return pieces.length > 0 ? pieces.join(' — ') : undefined;
}

/**
 * Wraps the SDK's `fetch`: a failed response whose body is not OpenAI-shaped is handed on with the
 * server's words in that shape. Successful responses pass untouched (and unbuffered).
 */
export function withReadableErrors(fetchFn: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchFn(input, init);
    if (response.ok || response.status === 407) return response;
    const raw = await response.text();
    const words = errorWords(raw, response.headers.get('content-type'));
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    const body = words ? JSON.stringify({ error: words }) : raw;
    if (words) headers.set('content-type', 'application/json');
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
}
