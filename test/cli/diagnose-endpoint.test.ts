import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { diagnoseEndpoint } from '../../src/cli/diagnose-endpoint.js';
import { NO_RESPONSE, STOPPED_CONNECTING } from '../../src/schedule/circuit-breaker.js';

const config = { provider: { kind: 'openai', baseURL: 'http://127.0.0.1:8000/v1', apiKey: undefined } } as unknown as CliConfig;

describe('diagnoseEndpoint: a server that sent no response', () => {
  it.each([
    ['the idle timeout', 'no data for 90s (--idle-timeout)', '--idle-timeout'],
    ['--timeout, when it is the shorter', 'attempt exceeded --timeout 1s', '--timeout'],
  ])('names the deadline that fired: %s', (_name, detail, deadline) => {
    const line = diagnoseEndpoint(`${NO_RESPONSE}: ${detail}`, config, false);
    expect(line).toContain(`http://127.0.0.1:8000/v1 accepts connections but sent no response, a retry included (${detail})`);
    expect(line).toMatch(new RegExp(`A model still loading may need a longer ${deadline}$`));
  });
});

describe('diagnoseEndpoint: a 200 with an error in place of every answer', () => {
  it("quotes the server's words and names --base-url", () => {
    const line = diagnoseEndpoint('error_response: server error in body: Unexpected endpoint or method. (POST /chat/completions)', config, false);
    expect(line).toBe(
      'the first requests all failed the same way, so the run stopped rather than retry every prompt: ' +
        'http://127.0.0.1:8000/v1 answers 200 with an error instead of an answer ("Unexpected endpoint or method. (POST /chat/completions)"): ' +
        'check --base-url (a server may answer so on a path it does not serve; OpenAI-compatible servers usually want it to end in /v1)',
    );
  });
});

describe('diagnoseEndpoint: a server that streams when told not to', () => {
  it('says to drop --no-stream', () => {
    const line = diagnoseEndpoint('streamed_anyway: the server ignored "stream": false and sent an event stream (drop --no-stream)', config, false);
    expect(line).toMatch(/: http:\/\/127\.0\.0\.1:8000\/v1 streams its answers even when "stream": false is asked: drop --no-stream$/);
  });
});

describe('diagnoseEndpoint: an empty body', () => {
  it.each([
    ['the server answered with an empty body', '200'],
    ['the server answered HTTP 204 with no body', '204'],
    ['the server answered HTTP 205 with no body', '205'],
  ])('%s: names the status it came with', (message, status) => {
    const line = diagnoseEndpoint(`empty_response: ${message}`, config, false);
    expect(line).toMatch(new RegExp(`: http://127\\.0\\.0\\.1:8000/v1 answers ${status} with an empty body: check --base-url$`));
  });
});

describe('diagnoseEndpoint: --retries 0 says no retry was made', () => {
  const noRetries = { ...config, retries: 0 } as CliConfig;

  it('a server that sent no response: the requests sent after the first timeout, not a retry', () => {
    const line = diagnoseEndpoint(`${NO_RESPONSE}: attempt exceeded --timeout 1s`, noRetries, false);
    expect(line).toMatch(/^the first requests all failed the same way, so the run stopped rather than fail every prompt: /);
    expect(line).toContain('accepts connections but sent no response, 3 requests sent after the first timeout included (attempt exceeded --timeout 1s)');
    expect(line).not.toMatch(/retry/);
  });

  it('a server that went away, --retries 0 or not: a second of refusals, a retry included (a refused connection is retried, it sent nothing)', () => {
    const line = diagnoseEndpoint(`${STOPPED_CONNECTING}: connection failed (ECONNREFUSED)`, noRetries, false);
    expect(line).toContain('every connection has been refused for 1 s, a retry included (connection failed (ECONNREFUSED))');
    expect(line).toContain('answered earlier and went away: did the server stop, or is it restarting?');
  });

  it('with retries, as before', () => {
    const line = diagnoseEndpoint(`${STOPPED_CONNECTING}: connection failed (ECONNREFUSED)`, { ...config, retries: 3 } as CliConfig, false);
    expect(line).toContain('every connection has been refused for 1 s, a retry included (connection failed (ECONNREFUSED))');
  });
});
