/**
 * Batch runner end to end, input side: every input form the CLI reads, checked at the mock server
 * (what was sent) and in the result rows (what came back). Spawns the BUILT CLI: `npm run build` first.
 */
import { describe, expect, it } from 'vitest';
import { writePrompts } from '../helpers/run-cli.js';
import { byId, fixture, fixtureLines, rowsOf, useServers } from '../helpers/mock-server-hooks.js';
import { runInWorker } from '../helpers/run-in-worker.js';

const { dir, fresh, writeFile } = useServers('llm-batch-basic-input-');

describe.concurrent('text input', () => {
  it('sends one request per line of fixtures/prompts.txt and answers each', async () => {
    const { server, run } = await fresh();
    const prompts = fixtureLines('prompts.txt');
    const r = await run([fixture('prompts.txt'), '-c', '3']);
    expect(r.code).toBe(0);
    const rows = rowsOf(r);
    expect(rows).toHaveLength(prompts.length);
    expect(rows.map((x) => x.prompt).sort()).toEqual([...prompts].sort());
    for (const row of rows) {
      expect(row.response).toBe(`ECHO ${row.prompt}`);
      expect(row.error).toBeNull();
      expect(row.line).toBe(prompts.indexOf(row.prompt) + 1);
    }
    expect(server.requests.map((q) => q.prompt).sort()).toEqual([...prompts].sort());
  });

  it('skips blank (and whitespace-only) lines: one row per non-blank line, line numbers from the file', async () => {
    const { server, run } = await fresh();
    const file = writeFile('blanks.txt', '\nfirst\n\n   \nsecond\n\n\nthird\n\n');
    const r = await run([file]);
    expect(r.code).toBe(0);
    expect(
      rowsOf(r)
        .map((x) => [x.prompt, x.line])
        .sort(),
    ).toEqual([
      ['first', 2],
      ['second', 5],
      ['third', 8],
    ]);
    expect(server.requests).toHaveLength(3);
  });

  it('-t with {{prompt}} wraps each text line', async () => {
    const { server, run } = await fresh();
    const file = writePrompts(dir, 'tpl.txt', ['apples', 'pears']);
    const r = await run([file, '-t', 'Describe {{prompt}} in one word.']);
    expect(r.code).toBe(0);
    expect(
      rowsOf(r)
        .map((x) => x.response)
        .sort(),
    ).toEqual(['ECHO Describe apples in one word.', 'ECHO Describe pears in one word.']);
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(['Describe apples in one word.', 'Describe pears in one word.']);
  });

  it('--system reaches the server as the first message, the prompt as the user message after it', async () => {
    const { server, run } = await fresh();
    const file = writePrompts(dir, 'sys.txt', ['one', 'two']);
    const r = await run([file, '--system', 'You are terse.']);
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(2);
    for (const req of server.requests) {
      expect(req.body.messages).toEqual([
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: req.prompt },
      ]);
    }
    expect(
      rowsOf(r)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual(['one', 'two']);
  });

  it('-m, --temperature and --max-tokens reach the server', async () => {
    const { run, requestFor } = await fresh();
    const file = writePrompts(dir, 'model.txt', ['hello']);
    const r = await run([file, '-m', 'my-model', '--temperature', '0.5', '--max-tokens', '33']);
    expect(r.code).toBe(0);
    const body = requestFor('hello').body;
    expect(body.model).toBe('my-model');
    expect(body.temperature).toBe(0.5);
    expect(body.max_tokens ?? body.max_completion_tokens).toBe(33);
    expect(rowsOf(r)[0]!.model).toBe('my-model');
  });
});

describe.concurrent('JSONL input', () => {
  it('reads {id,prompt}, {messages} and per-row model/temperature from fixtures/prompts.jsonl', async () => {
    const { run, requestFor } = await fresh();
    const r = await run([fixture('prompts.jsonl'), '-m', 'base-model']);
    expect(r.code).toBe(0);
    const rows = byId(rowsOf(r));
    expect([...rows.keys()].sort()).toEqual(['q1', 'q2', 'q3', 'q4']);
    const q1 = "What is the capital of Australia, and why isn't it Sydney?";
    expect(rows.get('q1')!.prompt).toBe(q1);
    expect(rows.get('q1')!.response).toBe(`ECHO ${q1}`);
    expect(rows.get('q1')!.line).toBe(1);
    expect(rows.get('q4')!.line).toBe(4);

    // {messages}: sent as given; the row's prompt and the echo are the user message.
    const q3 = 'How do I find duplicate emails in a users table?';
    expect(requestFor(q3).body.messages).toEqual([
      { role: 'system', content: 'You are a terse SQL expert.' },
      { role: 'user', content: q3 },
    ]);
    expect(rows.get('q3')!.prompt).toBe(q3);
    expect(rows.get('q3')!.response).toBe(`ECHO ${q3}`);

    // Per-row model and temperature override the run's.
    const b4 = requestFor('Write a limerick about a cat who learns to code.').body;
    expect(b4.model).toBe('gpt-4o-mini');
    expect(b4.temperature).toBe(1.1);
    expect(rows.get('q4')!.model).toBe('gpt-4o-mini');
    const b1 = requestFor(q1).body;
    expect(b1.model).toBe('base-model');
    expect(b1.temperature).toBeUndefined();
  });

  it('sends per-row max_tokens, model and temperature (and the run defaults for rows without them)', async () => {
    const { run, requestFor } = await fresh();
    const file = writeFile(
      'params.jsonl',
      [JSON.stringify({ id: 'a', prompt: 'row a', model: 'row-model', temperature: 0.3, max_tokens: 7 }), JSON.stringify({ id: 'b', prompt: 'row b' })].join(
        '\n',
      ) + '\n',
    );
    const r = await run([file, '-m', 'run-model', '--temperature', '0.9', '--max-tokens', '99']);
    expect(r.code).toBe(0);
    const a = requestFor('row a').body;
    expect(a.model).toBe('row-model');
    expect(a.temperature).toBe(0.3);
    expect(a.max_tokens ?? a.max_completion_tokens).toBe(7);
    const b = requestFor('row b').body;
    expect(b.model).toBe('run-model');
    expect(b.temperature).toBe(0.9);
    expect(b.max_tokens ?? b.max_completion_tokens).toBe(99);
    const rows = byId(rowsOf(r));
    expect(rows.get('a')!.model).toBe('row-model');
    expect(rows.get('b')!.model).toBe('run-model');
  });

  it('reads OpenAI Batch API lines: custom_id is the id, body fields reach the server', async () => {
    const { run, requestFor } = await fresh();
    const r = await run([fixture('batch-api.jsonl'), '--no-stream', '-m', 'base-model']);
    expect(r.code).toBe(0);
    const rows = byId(rowsOf(r));
    expect([...rows.keys()].sort()).toEqual(['req-1', 'req-2', 'req-3']);

    const p1 = "Classify the sentiment of: 'The delivery was late but the food was great.'";
    const p2 = "Classify the sentiment of: 'Never ordering from here again.'";
    const p3 = "Classify the sentiment of: 'It was fine, I guess.'";
    expect(rows.get('req-1')!.prompt).toBe(p1);
    expect(rows.get('req-1')!.response).toBe(`ECHO ${p1}`);
    expect(rows.get('req-1')!.model).toBe('gpt-4o-mini');

    const b1 = requestFor(p1).body;
    expect(b1.model).toBe('gpt-4o-mini');
    expect(b1.max_tokens ?? b1.max_completion_tokens).toBe(50);
    const b2 = requestFor(p2).body;
    expect(b2.messages).toEqual([
      { role: 'system', content: 'Reply with a single word.' },
      { role: 'user', content: p2 },
    ]);
    expect(b2.temperature).toBe(0);
    const b3 = requestFor(p3).body;
    expect(b3.temperature).toBe(0.2);
    expect(b3.seed).toBe(42);
    // The line's own "stream": true does not override the run's --no-stream.
    expect(b3.stream === true).toBe(false);
  });

  it('--prompt-field and --id-field pick other JSONL keys', async () => {
    const { run } = await fresh();
    const file = writeFile(
      'fields.jsonl',
      [JSON.stringify({ key: 'k1', question: 'first q' }), JSON.stringify({ key: 'k2', question: 'second q' })].join('\n') + '\n',
    );
    const r = await run([file, '--prompt-field', 'question', '--id-field', 'key']);
    expect(r.code).toBe(0);
    const rows = byId(rowsOf(r));
    expect(rows.get('k1')!.response).toBe('ECHO first q');
    expect(rows.get('k2')!.response).toBe('ECHO second q');
  });
});

describe.concurrent('CSV input', () => {
  const titles: Record<string, string> = {
    a1: 'Library extends weekend hours',
    a2: 'Rain, wind and a late train',
    a3: 'Council approves new bike lanes',
    a4: 'Bakery wins regional award',
  };

  it('--prompt-field and --id-field pick the columns (quoted commas and multi-line cells included)', async () => {
    const { server, run } = await fresh();
    const r = await run([fixture('articles.csv'), '--prompt-field', 'title', '--id-field', 'id']);
    expect(r.code).toBe(0);
    const rows = byId(rowsOf(r));
    expect([...rows.keys()].sort()).toEqual(['a1', 'a2', 'a3', 'a4']);
    for (const [id, title] of Object.entries(titles)) {
      expect(rows.get(id)!.prompt).toBe(title);
      expect(rows.get(id)!.response).toBe(`ECHO ${title}`);
    }
    // Line of the record's start: a3's body spans lines 4-6, so a4 starts on line 7.
    expect(rows.get('a1')!.line).toBe(2);
    expect(rows.get('a4')!.line).toBe(7);
    expect(server.requests).toHaveLength(4);
  });

  it('--prompt-field body keeps a multi-line cell whole', async () => {
    const { run } = await fresh();
    const r = await run([fixture('articles.csv'), '--prompt-field', 'body']);
    expect(r.code).toBe(0);
    const rows = byId(rowsOf(r));
    expect(rows.get('a3')!.prompt).toBe(
      'The plan adds 12 km of protected lanes.\nConstruction starts in spring and should finish by autumn.\nShop owners on Market Street asked for more loading bays.',
    );
    expect(rows.get('a3')!.response).toBe(`ECHO ${rows.get('a3')!.prompt}`);
  });

  it("--template '...{{title}}' fills from the columns", async () => {
    const { server, run } = await fresh();
    const r = await run([fixture('articles.csv'), '--template', 'Headline: {{title}}']);
    expect(r.code).toBe(0);
    const rows = byId(rowsOf(r));
    for (const [id, title] of Object.entries(titles)) {
      expect(rows.get(id)!.prompt).toBe(`Headline: ${title}`);
      expect(rows.get(id)!.response).toBe(`ECHO Headline: ${title}`);
    }
    expect(server.requests.map((q) => q.prompt).sort()).toEqual(
      Object.values(titles)
        .map((t) => `Headline: ${t}`)
        .sort(),
    );
  });

  it('a CSV with a single column uses it as the prompt by default', async () => {
    const { server, run } = await fresh();
    const file = writeFile('single.csv', 'question\nWhat is 2+2?\n"Hello, world"\n');
    const r = await run([file]);
    expect(r.code).toBe(0);
    expect(
      rowsOf(r)
        .map((x) => x.response)
        .sort(),
    ).toEqual(['ECHO Hello, world', 'ECHO What is 2+2?']);
    expect(server.requests).toHaveLength(2);
  });

  it('a CSV with a "prompt" column uses it (and "id") by default', async () => {
    const { run } = await fresh();
    const file = writeFile('prompt-col.csv', 'id,prompt,other\nx1,the prompt,ignored\n');
    const r = await run([file]);
    expect(r.code).toBe(0);
    const rows = rowsOf(r);
    expect(rows.map((x) => [x.id, x.response])).toEqual([['x1', 'ECHO the prompt']]);
  });
});

describe.concurrent('--input-format overrides the extension', () => {
  it('a .txt file read as JSONL', async () => {
    const { run } = await fresh();
    const file = writeFile('really-jsonl.txt', JSON.stringify({ id: 'j1', prompt: 'from json' }) + '\n');
    const r = await run([file, '--input-format', 'jsonl']);
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((x) => [x.id, x.response])).toEqual([['j1', 'ECHO from json']]);
  });

  it('a .jsonl file read as text: each line is sent verbatim', async () => {
    const { run } = await fresh();
    const line = JSON.stringify({ id: 'j1', prompt: 'from json' });
    const file = writeFile('really-text.jsonl', line + '\n');
    const r = await run([file, '--input-format', 'txt']);
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((x) => [x.prompt, x.response])).toEqual([[line, `ECHO ${line}`]]);
  });

  it('a file with an unknown extension read as CSV', async () => {
    const { run } = await fresh();
    const file = writeFile('data.dat', 'id,prompt\nc1,csv prompt\n');
    const r = await run([file, '--input-format', 'csv']);
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((x) => [x.id, x.response])).toEqual([['c1', 'ECHO csv prompt']]);
  });
});

describe.concurrent('stdin', () => {
  it('"-" reads text lines from stdin (blank lines skipped)', async () => {
    const { server, run } = await fresh();
    const r = await run(['-'], { stdin: 'alpha\n\nbeta\n' });
    expect(r.code).toBe(0);
    expect(
      rowsOf(r)
        .map((x) => x.response)
        .sort(),
    ).toEqual(['ECHO alpha', 'ECHO beta']);
    expect(server.requests).toHaveLength(2);
  });

  it('piped stdin with no input argument', async () => {
    const { run } = await fresh();
    const r = await run([], { stdin: 'one\ntwo\nthree\n' });
    expect(r.code).toBe(0);
    expect(
      rowsOf(r)
        .map((x) => x.response)
        .sort(),
    ).toEqual(['ECHO one', 'ECHO three', 'ECHO two']);
  });

  it('JSONL on stdin is recognised', async () => {
    const { run } = await fresh();
    const text = [JSON.stringify({ id: 's1', prompt: 'stdin json' }), JSON.stringify({ id: 's2', prompt: 'more' })].join('\n') + '\n';
    const r = await run([], { stdin: text });
    expect(r.code).toBe(0);
    const rows = byId(rowsOf(r));
    expect(rows.get('s1')!.response).toBe('ECHO stdin json');
    expect(rows.get('s2')!.response).toBe('ECHO more');
  });

  it('a first line that starts with { but is not JSON is not guessed at: exit 2 asking for --input-format, nothing sent; with it, text', async () => {
    const { run, server } = await fresh();
    const stdin = '\n{"a":1} is this JSON valid?\nWhat is 2+2?\n';
    const r = await runInWorker(['--base-url', server.url], { stdin });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(
      /^llm-batch: <stdin>:2: the first line starts with "\{" but is not a JSON object .*--input-format txt or --input-format jsonl$/,
    );
    expect(server.requests).toHaveLength(0);
    // The same from a pipe that stays open (tail -f): the message, then exit, not a hang.
    const open = await run([], { openStdin: '{bad json\r\n', timeoutMs: 10_000 });
    expect(open.code).toBe(2);
    expect(open.stderr.trim()).toBe(
      'llm-batch: <stdin>:1: the first line starts with "{" but is not a JSON object ({bad json): pass --input-format txt or --input-format jsonl',
    );
    const asText = await run(['--input-format', 'txt'], { stdin });
    expect(asText.code, asText.stderr).toBe(0);
    expect(
      rowsOf(asText)
        .map((x) => x.prompt)
        .sort(),
    ).toEqual(['What is 2+2?', '{"a":1} is this JSON valid?']);
  });

  it('--input-format csv on stdin', async () => {
    const { run } = await fresh();
    const r = await run(['-', '--input-format', 'csv', '--prompt-field', 'q'], { stdin: 'q\n"a, b"\n' });
    expect(r.code).toBe(0);
    expect(rowsOf(r).map((x) => x.response)).toEqual(['ECHO a, b']);
  });

  it('-t and --system apply to stdin lines too', async () => {
    const { server, run } = await fresh();
    const r = await run(['-', '-t', '<{{prompt}}>', '--system', 'sys'], { stdin: 'x\n' });
    expect(r.code).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: '<x>' },
    ]);
  });
});
