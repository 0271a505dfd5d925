import { describe, expect, it } from 'vitest';
import { authStopLine } from '../../src/cli/outcome.js';
import { REGION_REFUSAL } from '../../src/provider/region-refusal.js';

describe('authStopLine: why a 401 or 403 stopped the run', () => {
  it('blames the key for a rejected key', () => {
    expect(authStopLine('HTTP 401: Incorrect API key provided')).toBe(
      'the server rejected the API key (HTTP 401: Incorrect API key provided); check OPENAI_API_KEY and --base-url. Stopped before sending more.',
    );
  });

  it('a 403 after answers with the same key: a gateway or firewall may refuse some requests, not only the key', () => {
    const line = authStopLine('HTTP 403: Forbidden', 12);
    expect(line).toBe(
      'the server refused a request (HTTP 403: Forbidden) after it answered 12 with the same API key: a gateway or firewall in front of it may refuse some requests, or the key lost access; check --base-url and OPENAI_API_KEY. Stopped before sending more.',
    );
    // A 401 then is still the key's (revoked mid-run); a 403 before any answer too.
    expect(authStopLine('HTTP 401: Incorrect API key provided', 12)).toMatch(/^the server rejected the API key/);
    expect(authStopLine('HTTP 403: Forbidden')).toMatch(/^the server rejected the API key/);
  });

  it('does not blame the key when the server refuses the country or region requests come from', () => {
    const line = authStopLine(`${REGION_REFUSAL} (HTTP 403: Country, region, or territory not supported)`);
    expect(line).toBe(
      'the server does not serve the country or region the requests come from (HTTP 403: Country, region, or territory not supported); the API key is not the problem: check the network the requests leave by (a VPN, a proxy, the region of a cloud machine) and --base-url. Stopped before sending more.',
    );
    expect(line).not.toMatch(/rejected|OPENAI_API_KEY/);
  });
});
