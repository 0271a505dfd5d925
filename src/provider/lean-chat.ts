import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { errorWords } from './error-body.js';
import { failedFetch, followRedirects, isRedirect, postChat, type ChatTarget } from './chat-post.js';
import { wireBody, type TokenLimitField } from './request-body.js';
import { APIError, OpenAIError } from './sdk-errors.js';
import type { AttemptContext, CompletionRequest, CompletionResult } from './completion.js';
import type { HeaderSource } from '../types.js';
import type { ChatResponse } from './chat-response.js';
import { StreamedAnswer, wholeAnswer, type AnswerChunk } from './streamed-answer.js';

/**
 * Chat completions without the SDK's per-request machinery (issue 16): undici's dispatcher (or a
 * proxy's node:http agent) straight into eventsource-parser, no web-stream bridge, no per-request
 * header objects or abort controllers (the attempt's one signal goes to the connection). ~45 µs of
 * CPU per streamed event became ~5, everything included.
 *
 * It fails exactly as the SDK did: the same error objects (`APIError.generate` for a status,
 * `APIError` for an error event in a stream, `SyntaxError` for an unparsable event or body, the
 * network error itself for a cut connection), thrown to the same classifier.
 */
export async function leanChat(target: ChatTarget, limitField: TokenLimitField, request: CompletionRequest, ctx: AttemptContext): Promise<CompletionResult> {
  const body = JSON.stringify(wireBody(request, limitField));
  let response = await postChat(target, body, ctx.signal);
  if (isRedirect(response.status)) response = await followRedirects(target, body, ctx.signal, response);
  ctx.onActivity();
  const { status, headers } = response;
  if (status < 200 || status > 299) {
    // A body that fails to arrive failed `withReadableErrors`' read, inside the SDK's fetch; a
    // 407's (which it passes on) the SDK's own read, which takes the error's message for the body.
    const raw = await readText(response, ctx.onActivity).catch((err: unknown) => {
      if (status === 407) return err instanceof Error ? err.message : String(err);
      throw failedFetch(err, ctx.signal);
    });
    // As `withReadableErrors` hands it to the SDK: a body in another shape, in OpenAI's.
    const words = status === 407 ? undefined : errorWords(raw, headers.get('content-type'));
    const text = words ? JSON.stringify({ error: words }) : raw;
    const json = safeJSON(text);
    throw APIError.generate(status, json as object | undefined, json ? undefined : text, headers as unknown as Headers);
  }
  return request.stream ? readStream(response, status, headers, ctx) : readWhole(response, headers, ctx);
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The whole body; every chunk feeds the idle timeout, so a slow non-streamed answer is not a stall. */
function readText(response: ChatResponse, onActivity: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    response.read({
      data(chunk) {
        onActivity();
        text += chunk;
      },
      end: () => resolve(text),
      error: reject,
    });
  });
}

async function readWhole(response: ChatResponse, headers: HeaderSource, ctx: AttemptContext): Promise<CompletionResult> {
  return wholeAnswer(await readText(response, ctx.onActivity), headers, ctx.onDelta);
}

interface Chunk extends AnswerChunk {
  error?: unknown;
}

function readStream(response: ChatResponse, status: number, headers: HeaderSource, ctx: AttemptContext): Promise<CompletionResult> {
  if (status === 204 || status === 205) {
    response.discard();
    return Promise.reject(new OpenAIError('Attempted to iterate over a response with no body'));
  }
  return new Promise((resolve, reject) => {
    const answer = new StreamedAnswer(ctx.onDelta);
    let done = false;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      response.cancel();
      reject(err);
    };
    // As the SDK's stream: `[DONE]` ends the answer, later events are ignored; an event whose
    // JSON does not parse, or that carries `error`, fails the attempt.
    const onEvent = (event: EventSourceMessage) => {
      if (done || failed) return;
      if (event.data.startsWith('[DONE]')) {
        done = true;
        return;
      }
      const chunk = JSON.parse(event.data) as Chunk | null;
      if (chunk?.error) throw new APIError(undefined, chunk.error as object, undefined, headers as unknown as Headers);
      answer.add(chunk);
    };
    const parser = createParser({ onEvent });
    response.read({
      data(chunk) {
        if (failed) return;
        ctx.onActivity();
        try {
          parser.feed(chunk);
        } catch (err) {
          fail(err);
        }
      },
      error: fail,
      end() {
        if (failed) return;
        try {
          resolve(answer.finish(headers, ctx.signal));
        } catch (err) {
          fail(err);
        }
      },
    });
  });
}
