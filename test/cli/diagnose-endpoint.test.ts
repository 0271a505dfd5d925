import { describe, expect, it } from 'vitest';
import type { CliConfig } from '../../src/cli/config.js';
import { diagnoseEndpoint } from '../../src/cli/diagnose-endpoint.js';
import { NO_RESPONSE } from '../../src/schedule/circuit-breaker.js';

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
