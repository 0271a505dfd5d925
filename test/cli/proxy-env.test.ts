import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proxyFromEnv } from '../../src/cli/proxy-env.js';

const NAMES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY', 'no_proxy', 'NO_PROXY'];
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
  for (const n of NAMES) delete process.env[n];
});
afterEach(() => {
  for (const n of NAMES) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
});

describe('proxyFromEnv', () => {
  it('reads <scheme>_proxy, then ALL_PROXY; NO_PROXY names hosts and, with a leading dot, subdomains', () => {
    process.env.HTTPS_PROXY = 'http://p.corp:3128';
    process.env.ALL_PROXY = 'http://all.corp:3128';
    process.env.NO_PROXY = 'localhost,.internal';
    const { proxyFor } = proxyFromEnv(undefined);
    expect(proxyFor('https://api.openai.com/v1/chat/completions')).toBe('http://p.corp:3128');
    expect(proxyFor('http://vllm.lab/v1')).toBe('http://all.corp:3128');
    expect(proxyFor('http://localhost:11434/v1')).toBeUndefined();
    expect(proxyFor('https://llm.internal/v1')).toBeUndefined();
  });

  it('NO_PROXY lists an IPv6 address with or without brackets, as curl and Go read it', () => {
    process.env.HTTP_PROXY = 'http://p.corp:3128';
    process.env.HTTPS_PROXY = 'http://p.corp:3128';
    for (const list of ['localhost,127.0.0.1,::1', 'localhost, [::1]', '0:0:0:0:0:0:0:1']) {
      process.env.NO_PROXY = list;
      const { proxyFor } = proxyFromEnv(undefined);
      expect(proxyFor('http://[::1]:8000/v1'), list).toBeUndefined();
      expect(proxyFor('https://[::1]:8443/v1'), list).toBeUndefined();
      expect(proxyFor('http://[::2]:8000/v1'), list).toBe('http://p.corp:3128');
    }
  });

  it('a proxy without a scheme is plain http, trailing space or not; an explicit https:// proxy stays https', () => {
    process.env.HTTPS_PROXY = 'p.corp:3128 ';
    expect(proxyFromEnv(undefined).proxyFor('https://api.openai.com/v1')).toBe('http://p.corp:3128');
    process.env.HTTPS_PROXY = 'https://p.corp:3129';
    process.env.HTTP_PROXY = 'p.corp:3129'; // the same host without a scheme, for http targets only
    const { proxyFor } = proxyFromEnv(undefined);
    expect(proxyFor('https://api.openai.com/v1')).toBe('https://p.corp:3129');
    expect(proxyFor('http://vllm.lab/v1')).toBe('http://p.corp:3129');
  });

  it('hands the credentials, raw and decoded, to the redactor: the password and its Basic form as passwords', () => {
    process.env.HTTPS_PROXY = 'http://token-user:pa%20ss@p.corp:3128';
    const basic = Buffer.from('token-user:pa ss').toString('base64');
    expect(basic).toMatch(/=$/); // padding an echo may drop: left out
    expect(proxyFromEnv(undefined).secrets).toEqual(['token-user', ...['pa%20ss', 'pa ss', basic.replace(/=+$/, '')].map((password) => ({ password }))]);
  });

  it.each([
    [
      'a password too short to scrub alone: user:password too',
      'http://bob:pw@p.corp:3128',
      ['bob', { password: 'pw' }, { password: 'bob:pw' }, { password: 'Ym9iOnB3' }],
    ],
    ['a user name alone is the credential', 'http://TOKEN1@p.corp:3128', [{ password: 'TOKEN1' }, { password: 'VE9LRU4xOg' }]],
    ['no credentials, no secrets', 'http://p.corp:3128', []],
  ])('%s', (_name, proxy, secrets) => {
    process.env.HTTPS_PROXY = proxy;
    expect(proxyFromEnv(undefined).secrets).toEqual(secrets);
  });

  it('refuses a scheme it cannot speak and a bare % in the credentials, showing neither password', () => {
    process.env.ALL_PROXY = 'socks5://u:secret-1@p.corp:1080';
    expect(() => proxyFromEnv(undefined)).toThrow(/is socks5:\/\/p\.corp:1080: only http:\/\/ and https:\/\//);
    expect(() => proxyFromEnv(undefined)).not.toThrow(/secret-1/);
    process.env.ALL_PROXY = 'http://u:100%sure@p.corp:1080';
    expect(() => proxyFromEnv(undefined)).toThrow(/"%" in its credentials that is not an escape/);
    expect(() => proxyFromEnv(undefined)).not.toThrow(/100%sure/);
  });
});
