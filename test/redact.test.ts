import { describe, expect, it } from 'vitest';
import { createKeyRedactor, createRedactor } from '../src/redact.js';

describe('createRedactor', () => {
  it('removes every occurrence of an exact secret', () => {
    const key = 'sk-proj-AbC123_def-456ghiJKL789';
    const redact = createRedactor([key]);
    const out = redact(`Incorrect API key provided: ${key}. (again: ${key})`);
    expect(out).not.toContain(key);
    expect(out).toBe('Incorrect API key provided: [redacted]. (again: [redacted])');
  });

  it('removes a secret of any shape (not only sk-...)', () => {
    const token = 'hf_local.token+with$special(chars)';
    const redact = createRedactor([token]);
    expect(redact(`bad token ${token}!`)).toBe('bad token [redacted]!');
  });

  it.each([
    ['sk-abcdef123456', 'key sk-abcdef123456 rejected'],
    ['sk-proj-xyz_ABC-123456', 'Incorrect API key provided: sk-proj-xyz_ABC-123456.'],
    ['sk-proj-********************abcd', 'Incorrect API key provided: sk-proj-********************abcd.'],
    ['sk-ant-api03-AAAAAAAAAAAA', 'leaked sk-ant-api03-AAAAAAAAAAAA here'],
    ['rk-live_1234567890', 'restricted rk-live_1234567890'],
    ['pk-9876543210', 'public pk-9876543210'],
  ])('removes key-shaped text it was not given: %s', (key, text) => {
    const out = createRedactor([])(text);
    expect(out).not.toContain(key);
    expect(out).toContain('[redacted]');
  });

  it('leaves ordinary text alone', () => {
    const redact = createRedactor([]);
    // Key-shaped words with no digit or mask in them: a model's or a file's name a message quotes (they read [redacted]).
    for (const text of [
      'task-scheduler failed',
      'mask-abcdefghij',
      'sk-short',
      'use scikit-learn',
      'HTTP 500: The server had an error',
      'model "sk-learn-classifier" not found',
      'explain pk-rsa-keyfile and sk-learn-pipeline usage',
    ]) {
      expect(redact(text)).toBe(text);
    }
  });

  it('ignores undefined and short secrets (they would redact ordinary words)', () => {
    const redact = createRedactor([undefined, '', 'ab', 'abc']);
    expect(redact('abc abd ab a')).toBe('abc abd ab a');
  });

  it('still redacts the real secret when short or missing ones are in the list', () => {
    const redact = createRedactor([undefined, 'x', 'secret-token-1']);
    expect(redact('got secret-token-1, x marks the spot')).toBe('got [redacted], x marks the spot');
  });

  it('handles several secrets, one inside a longer text token', () => {
    const redact = createRedactor(['alpha-secret', 'beta-secret-2']);
    expect(redact('Xalpha-secretY and beta-secret-2')).toBe('X[redacted]Y and [redacted]');
  });

  it('empty text stays empty', () => {
    expect(createRedactor(['secret-token'])('')).toBe('');
  });
});

describe('createRedactor: credentials in URLs', () => {
  const redact = createRedactor([]);
  it.each([
    ["argument 'https://user:pa55word@host.example/v1' is invalid", "argument 'https://***@host.example/v1' is invalid"],
    ['ftp://user:pa55word@host/v1?api-key=Q-secret-1 refused', 'ftp://***@host/v1?api-key=*** refused'],
    ['https://TOKENVALUE1@host/v1', 'https://***@host/v1'],
    ['http://us%40er:p@ss@host:8080/x', 'http://***@host:8080/x'],
    ["argument 'user:pa55word@host/v1' is invalid", "argument '***@host/v1' is invalid"],
    [
      'https://gw.example/v1/chat/completions?api-version=2024-06-01&api-key=Q-secret-1',
      'https://gw.example/v1/chat/completions?api-version=2024-06-01&api-key=***',
    ],
    ['GET https://x.example/v1?key=AIzaSECRET&alt=json', 'GET https://x.example/v1?key=***&alt=json'],
    [
      'https://h/v1?API_KEY=a1&access_token=b2&subscription-key=c3&sig=d4&client_secret=e5&password=f6',
      'https://h/v1?API_KEY=***&access_token=***&subscription-key=***&sig=***&client_secret=***&password=***',
    ],
    ['https://h/cb#access_token=b2&state=xyz', 'https://h/cb#access_token=***&state=xyz'],
    ['{"url":"https://u:p4ss@h/v1?token=t1"}', '{"url":"https://***@h/v1?token=***"}'],
  ])('%s', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('leaves URLs without credentials, addresses and ordinary parameters alone', () => {
    for (const text of [
      'https://api.openai.com/v1/batches?after=batch_abc&limit=100',
      'write to ops@example.com about http://localhost:8000/v1',
      'git@github.com:org/repo.git',
      'error: 400 model=gpt-4o-mini, temperature=2.5',
      'time 12:30 @ noon',
      'HTTP 500: The server had an error',
    ])
      expect(redact(text)).toBe(text);
  });
});

describe('createRedactor: a key as servers and proxies escape it', () => {
  const key = 'sk-test/SECRET+123';
  const redact = createRedactor([key]);
  it.each([
    ['PHP json_encode', String.raw`{"message":"Invalid key: sk-test\/SECRET+123"}`],
    ['\\u escapes, either case', String.raw`sk\u002dtest\u002FSECRET\u002b123`],
    ['every character \\u-escaped', [...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
    ['percent-encoded, either case', 'https://gw.example/keys/sk%2Dtest%2fSECRET%2B123?x=1'],
    ['every character percent-encoded', [...key].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')],
    ['HTML character references', 'sk&#45;test&#x2F;SECRET&#043;123'],
    ['\\x and \\u{} escapes', String.raw`sk\x2dtest\u{2f}SECRET\+123`],
    ['double-escaped JSON', String.raw`"{\"message\":\"sk\\u002dtest\\\/SECRET+123\"}"`],
  ])('%s', (_name, text) => {
    const out = redact(text);
    expect(out).toContain('[redacted]');
    expect(out).not.toMatch(/SECRET|%53%45|\\u0053/i);
  });

  it('escapes a non-ASCII character as UTF-16 units and as UTF-8 bytes', () => {
    const odd = createRedactor(['tök€n-😀-77']);
    expect(odd(String.raw`t\u00f6k\u20ACn-\ud83d\ude00-77`)).toBe('[redacted]');
    expect(odd('t%C3%B6k%E2%82%ACn-%F0%9F%98%80-77')).toBe('[redacted]');
  });

  it('leaves text that only resembles the key', () => {
    expect(redact(String.raw`sk-test\/SECRET+124 sk-test/SECRE`)).toBe(String.raw`sk-test\/SECRET+124 sk-test/SECRE`);
  });
});

describe('createRedactor: placeholder keys (ollama, EMPTY, lm-studio)', () => {
  it.each([
    ['ollama', 'HTTP 404: model "ollama-llama3" not found, try pulling it first'],
    ['ollama', '{"model":"hf.co/ollama/x","owner":"ollama:latest","n":"v.ollama.com"}'],
    ['EMPTY', 'EMPTY_RESPONSE from NOT-EMPTY queue'],
    ['lm-studio', 'see lm-studio-cli and my-lm-studio'],
  ])('%s is left inside other words: %s', (key, text) => {
    expect(createRedactor([key])(text)).toBe(text);
  });

  it.each([
    ['ollama', 'Incorrect API key provided: ollama.', 'Incorrect API key provided: [redacted].'],
    ['ollama', 'Authorization: Bearer ollama', 'Authorization: Bearer [redacted]'],
    ['EMPTY', '{"api_key":"EMPTY"}', '{"api_key":"[redacted]"}'],
    ['lm-studio', String.raw`{"message":"bad key lm\u002dstudio"}`, '{"message":"bad key [redacted]"}'],
  ])('%s is still scrubbed where it stands alone: %s', (key, text, expected) => {
    expect(createRedactor([key])(text)).toBe(expected);
  });

  it.each([
    ['a digit', 'abc123', 'model abc1234 and xabc123'],
    ['12 characters or more', 'correcthorse', 'model correcthorses and xcorrecthorse'],
  ])('a key with %s is scrubbed inside other words too', (_name, key, text) => {
    expect(createRedactor([key])(text)).not.toContain(key);
  });
});

describe('createRedactor: a proxy password, a secret however it looks', () => {
  it.each([
    ['SECRETPW', 'Access denied for bob:SECRETPW; SECRETPW again, xSECRETPWy', 'Access denied for bob:[redacted]; [redacted] again, x[redacted]y'],
    ['pass', 'passage of the password', '[redacted]age of the [redacted]word'],
    ['S3CRETPW', String.raw`{"m":"bad S3CRETPW \u0053\u0033CRETPW"}`, '{"m":"bad [redacted] [redacted]"}'],
  ])('%s is scrubbed everywhere, even under 12 characters with no digit', (password, text, expected) => {
    expect(createRedactor([{ password }])(text)).toBe(expected);
  });

  it('the longer of two overlapping secrets is taken whole: user:password and its Basic form', () => {
    const redact = createRedactor(['sk-key-1234567890', 'bob', { password: 'SECRETPW' }, { password: 'bob:SECRETPW' }, { password: 'Ym9iOlNFQ1JFVFBX' }]);
    expect(redact('x-echo: Basic Ym9iOlNFQ1JFVFBX\nAccess denied for bob:SECRETPW (Basic Ym9iOlNFQ1JFVFBX)')).toBe(
      'x-echo: Basic [redacted]\nAccess denied for [redacted] (Basic [redacted])',
    );
  });

  it('under 4 characters a password is not scrubbed alone (every such word would go), a string key likewise', () => {
    expect(createRedactor([{ password: 'pw' }, { password: 'abc' }])('pw: abc')).toBe('pw: abc');
  });

  it('createKeyRedactor keeps the placeholder rule for a key', () => {
    expect(createKeyRedactor('SECRETPW')('xSECRETPW SECRETPW')).toBe('xSECRETPW [redacted]');
  });
});

describe('createRedactor: a key echoed in part or without its prefix', () => {
  const OPENAI = 'sk-LEAKCHECK-1234567890abcdef';
  const PROJECT = 'sk-proj-AbC123_def-456ghiJKL789';
  const GROQ = 'gsk_LEAKCHECK1234567890abcdef';
  const AZURE = '5f3a9c1e77b24d6a08e5b2c9d4f1a7e3';
  it.each([
    [OPENAI, 'Incorrect API key provided: sk-LEAK••••cdef.', 'Incorrect API key provided: [redacted].'],
    [OPENAI, 'key LEAKCHECK-1234567890abcdef here', 'key [redacted] here'],
    [OPENAI, 'sk-...cdef and sk-…cdef', '[redacted] and [redacted]'],
    [OPENAI, 'sk-LEAKCHECK-1234... (cut)', '[redacted] (cut)'],
    [OPENAI, 'got sk-LEAKCHEC', 'got [redacted]'],
    [OPENAI, 'sk-LEAKxxxxxxxxcdef', '[redacted]'],
    [OPENAI, 'sk-LEAK****', '[redacted]'],
    // A sentence's own full stop after the mask stays.
    [OPENAI, 'Incorrect API key provided: sk-LEAK****. Check it.', 'Incorrect API key provided: [redacted]. Check it.'],
    [OPENAI, 'provided: sk-LEAK**.*', 'provided: [redacted]'],
    [PROJECT, 'proj-AbC123_def-456ghiJKL789, AbC123_def-456ghiJKL789', '[redacted], [redacted]'],
    [PROJECT, 'sk-proj-AbC1••••L789', '[redacted]'],
    [GROQ, 'gsk_LEAK****cdef', '[redacted]'],
    [GROQ, 'gsk_LEAKCHECK12', '[redacted]'],
    [GROQ, 'key gsk_LEAKCH…', 'key [redacted]'],
    [GROQ, 'LEAKCHECK1234567890abcdef', '[redacted]'],
    [AZURE, 'key 5F3A9C1E77B24D6A08E5B2C9D4F1A7E3', 'key [redacted]'],
    [AZURE, '%35F3A9c1e77b24d6a08e5b2c9d4f1a7e3', '[redacted]'],
    [AZURE, 'key 5f3a9c1e... and 5F3A9C1E77B2', 'key [redacted] and [redacted]'],
    [AZURE, 'key 5f3a••••a7e3', 'key [redacted]'],
  ])('%s: %s', (key, text, expected) => {
    expect(createRedactor([key])(text)).toBe(expected);
  });

  it.each([
    [OPENAI, 'Use sk-learn (scikit-learn); sk-LEAK. sk-LE… sk-... export OPENAI_API_KEY=sk-…'],
    [GROQ, 'Groq keys start with gsk_ (gsk_…, gsk_****); the word gsk_LEAK; LEAKCHECK alone'],
    [AZURE, 'ids 5f3a, 5f3a9c1 and 5f3a9... and 5f3a…a7e4 are not it'],
    [OPENAI, 'a body shorter than the key: LEAKCHECK-1234567890abcde'],
  ])('%s: leaves ordinary text alone: %s', (key, text) => {
    expect(createRedactor([key])(text)).toBe(text);
  });

  it('a secret that is no key (no digit, or a body under 16 characters) is scrubbed only whole', () => {
    const redact = createRedactor(['correcthorsebatterystaple', 'svc-user-0042']);
    expect(redact('correcthorse… svc-user-00… user-0042')).toBe('correcthorse… svc-user-00… user-0042');
    expect(redact('correcthorsebatterystaple svc-user-0042')).toBe('[redacted] [redacted]');
  });

  it('createKeyRedactor, run on every answer, takes the key whole only: no echoes, as before', () => {
    expect(createKeyRedactor(OPENAI)(`${OPENAI} sk-LEAK••••cdef LEAKCHECK-1234567890abcdef`)).toBe('[redacted] sk-LEAK••••cdef LEAKCHECK-1234567890abcdef');
  });
});

describe('createRedactor: secrets given twice or with spaces around them', () => {
  it('a key given as read (with its newline) and trimmed: the text keeps its own spaces and newline', () => {
    const redact = createRedactor([' my-org-key-123456\n', 'my-org-key-123456']);
    expect(redact('Bearer my-org-key-123456\n    at x')).toBe('Bearer [redacted]\n    at x');
  });

  it('a string that is also a password is a password', () => {
    expect(createRedactor(['SECRETPW', { password: 'SECRETPW' }])('xSECRETPW')).toBe('x[redacted]');
  });
});
