import { describe, expect, it } from 'vitest';
import { withTrace } from '../../src/provider/trace-fetch.js';
import { createRedactor } from '../../src/redact.js';

const KEY = 'sk-test/SECRET-77a1';

/** A body sent a few bytes at a time, so the key (in any form) is split across chunks. */
function dribbled(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, (at += size)));
    },
  });
}

describe('withTrace', () => {
  it.each([
    ['as sent', `{"error":{"message":"Incorrect API key provided: ${KEY}"}}`],
    ['JSON-escaped', String.raw`{"error":{"message":"Invalid key: sk\u002dtest\/SECRET\u002D77a1"}}`],
    ['percent-encoded in an SSE event', 'data: {"error":{"message":"see https://gw.example/k/sk%2dtest%2FSECRET%2D77a1"}}\n\n'],
  ])('the key %s, split across 3-byte chunks, is written as [redacted]', async (_name, body) => {
    const written: string[] = [];
    const fetchFn = (async () => new Response(dribbled(body, 3), { status: 401 })) as typeof fetch;
    const traced = withTrace(fetchFn, { write: (text) => written.push(text), redact: createRedactor([KEY]), now: () => 0 });
    const response = await traced('http://gw.example/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    expect(await response.text()).toBe(body);
    const log = written.join('');
    expect(log).toMatch(/^#1 > authorization: \[redacted\]$/m);
    expect(log).toMatch(/^#1 < .*\[redacted\]/m);
    expect(log).not.toMatch(/SECRET|77a1/);
  });
});

describe('withTrace: a long line', () => {
  it('one event of 4 MB in 1 KB chunks is traced whole, in time linear in its size', async () => {
    const content = 'x'.repeat(4 << 20);
    const body = `data: {"choices":[{"delta":{"content":"${content}"}}]}\r\n\r\ndata: [DONE]\n\n`;
    const written: string[] = [];
    const fetchFn = (async () => new Response(dribbled(body, 1024))) as typeof fetch;
    const traced = withTrace(fetchFn, { write: (text) => written.push(text), redact: (text) => text, now: () => 0 });
    const started = performance.now();
    const response = await traced('http://gw.example/v1/chat/completions', { method: 'POST' });
    expect((await response.text()).length).toBe(body.length);
    // Splitting the open line again with every chunk took ~20 s here; reading it once, half a second.
    expect(performance.now() - started).toBeLessThan(5000);
    const lines = written.join('').split('\n');
    expect(lines.filter((l) => l.startsWith('#1 < data:'))).toEqual([`#1 < data: {"choices":[{"delta":{"content":"${content}"}}]}`, '#1 < data: [DONE]']);
  }, 60_000);
});
