import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import { SECRET_KEY, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { useServer } from '../helpers/mock-server-hooks.js';

const ctx = useServer('llm-batch-dry-run-');

/** No key at all: a dry run must not need one. */
const NO_KEY = { OPENAI_API_KEY: undefined };

/** The request bodies the report shows: each `#n` header is followed by one pretty-printed JSON object. */
function shownBodies(report: string): any[] {
  const bodies: any[] = [];
  const re = /^#\d+ .*\n(\{\n[\s\S]*?\n\})$/gm;
  for (let m = re.exec(report); m; m = re.exec(report)) bodies.push(JSON.parse(m[1]!));
  return bodies;
}

describe('--dry-run', () => {
  it('reads fixtures/bad.jsonl, lists its bad records by file:line, sends nothing, exits 2', async () => {
    ctx.server.reset();
    const r = await runInWorker([fixture('bad.jsonl'), '--dry-run', '--base-url', ctx.server.url], { env: NO_KEY });
    expect(r.code).toBe(2);
    // Why, on stderr as every exit but 0 says it: `--dry-run >/dev/null || fail` logged none.
    expect(r.stderr).toMatch(/^llm-batch: 2 bad records \(the first: \S*fixtures\/bad\.jsonl:2: invalid JSON .*\); listed in the dry run's report\n$/);
    expect(ctx.server.requests).toEqual([]);
    expect(r.stdout).toMatch(/nothing was sent/i);
    expect(r.stdout).toMatch(/5 records: 3 to send, 2 bad/);
    expect(r.stdout).toMatch(/^ {2}\S*fixtures\/bad\.jsonl:2: invalid JSON/m);
    expect(r.stdout).toMatch(/^ {2}\S*fixtures\/bad\.jsonl:4: .*prompt/m);
    expect(r.stdout).toMatch(/2 bad records/);
    expect(shownBodies(r.stdout).map((b) => b.messages.at(-1).content)).toEqual([
      'Name three primary colours.',
      'What is 17 times 23?',
      'Suggest a title for a blog post about sourdough.',
    ]);
  });

  it('shows the first 3 requests exactly as a real run sends them', async () => {
    ctx.server.reset();
    const args = [fixture('prompts.jsonl'), '--base-url', ctx.server.url, '-m', 'gpt-4o-mini', '--temperature', '0.3', '--max-tokens', '64', '-s', 'Be brief.'];
    const dry = await runInWorker([...args, '--dry-run'], { env: NO_KEY });
    expect(dry.code).toBe(0);
    expect(ctx.server.requests).toEqual([]);
    const bodies = shownBodies(dry.stdout);
    expect(bodies).toHaveLength(3);
    expect(dry.stdout).toContain(`POST ${ctx.server.url}/chat/completions`);

    // The real run, one at a time in input order, against the same server.
    const real = await runCli([...args, '-c', '1', '--order', 'input']);
    expect(real.code).toBe(0);
    expect(ctx.server.requests.slice(0, 3).map((q) => q.body)).toEqual(bodies);
    // Row-level overrides and the system message show as sent.
    expect(bodies[0]).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.3,
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user' }],
    });
  });

  it('renders a CSV through its template and shows an OpenAI Batch API file as sent', async () => {
    const csv = await runInWorker([fixture('articles.csv'), '--dry-run', '--template', 'Summarise: {{title}}'], { env: NO_KEY });
    expect(csv.code).toBe(0);
    expect(csv.stdout).toMatch(/4 records: 4 to send, 0 bad/);
    expect(shownBodies(csv.stdout).map((b) => b.messages[0].content)).toEqual([
      'Summarise: Library extends weekend hours',
      'Summarise: Rain, wind and a late train',
      'Summarise: Council approves new bike lanes',
    ]);
    expect(csv.stdout).toContain('POST https://api.openai.com/v1/chat/completions');

    const batch = await runInWorker([fixture('batch-api.jsonl'), '--dry-run', '--no-stream'], { env: NO_KEY });
    expect(batch.code).toBe(0);
    const bodies = shownBodies(batch.stdout);
    expect(bodies[2]).toEqual({
      seed: 42,
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: "Classify the sentiment of: 'It was fine, I guess.'" }],
      temperature: 0.2,
      max_completion_tokens: 50,
      stream: false,
    });
    // OpenAI itself gets max_completion_tokens (its reasoning models reject max_tokens); another
    // OpenAI-compatible server gets max_tokens, which they all know.
    const local = await runInWorker([fixture('batch-api.jsonl'), '--dry-run', '--no-stream', '--base-url', 'http://localhost:8000/v1'], { env: NO_KEY });
    expect(shownBodies(local.stdout)[2]).toMatchObject({ max_tokens: 50 });
    expect(shownBodies(local.stdout)[2]).not.toHaveProperty('max_completion_tokens');
  });

  it('reads stdin too', async () => {
    const r = await runInWorker(['--dry-run', '-m', 'gpt-4.1-nano'], { env: NO_KEY, stdin: 'first question\n\nsecond question\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Input: <stdin>/);
    expect(r.stdout).toMatch(/2 records: 2 to send, 0 bad/);
  });

  it('estimates prompt tokens, answer tokens and the cost for a known model', async () => {
    const file = writePrompts(
      ctx.dir,
      'cost.txt',
      Array.from({ length: 10 }, (_, i) => `Question number ${i}: what is ${i} squared?`),
    );
    const assumed = await runInWorker([file, '--dry-run', '-m', 'gpt-4o-mini'], { env: NO_KEY });
    expect(assumed.code).toBe(0);
    expect(assumed.stdout).toMatch(/gpt-4o-mini: 10 requests · \d{3} prompt tokens · 2,560 answer tokens \(no max_tokens: assumed 256 per answer\)/);
    expect(assumed.stdout).toMatch(/est\. cost \$0\.\d{4} \(prompts \$0\.\d{4,} \+ answers \$0\.\d{4} at \$0\.15 \/ \$0\.60 per 1M tokens in \/ out\)/);
    expect(assumed.stdout).toMatch(/Estimated cost: \$0\.\d{4} \(list prices of \d{4}-\d{2}-\d{2}; an estimate, not a bill\)/);

    const capped = await runInWorker([file, '--dry-run', '-m', 'gpt-4o-mini', '--max-tokens', '10'], { env: NO_KEY });
    expect(capped.stdout).toMatch(/at most 100 answer tokens \(max_tokens\)/);
  });

  it("counts an image part at its model's worst case, and says what it left out for a model with no known vision pricing", async () => {
    // Before, images were left out without a word ("prompts $0.0003" for 40 high-detail images).
    const row = (i: number) =>
      JSON.stringify({
        id: `img${i}`,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: `Describe photo ${i}` },
              { type: 'image_url', image_url: { url: `https://example.com/p${i}.jpg`, detail: 'high' } },
            ],
          },
        ],
      });
    const file = path.join(ctx.dir, 'img.jsonl');
    fs.writeFileSync(file, `${[1, 2, 3, 4].map(row).join('\n')}\n`);
    const r = await runInWorker([file, '--dry-run', '-m', 'gpt-4o-mini,my-vlm', '--max-tokens', '50'], { env: NO_KEY });
    expect(r.code, r.stderr).toBe(0);
    // gpt-4o-mini's high detail: at most 2,833 + 8 × 5,667 = 48,169 tokens, and the text besides.
    const mini = /^ {2}gpt-4o-mini: 4 requests · (\d{3},\d{3}) prompt tokens \(4 image parts at their worst case\)/m.exec(r.stdout);
    const tokens = Number(mini?.[1]?.replace(',', ''));
    expect(tokens - 4 * 48_169).toBeGreaterThan(0);
    expect(tokens - 4 * 48_169).toBeLessThan(100);
    expect(r.stdout).toMatch(/^ {2}my-vlm: 4 requests · \d+ prompt tokens \(4 image parts left out: no known token bound for this model\)/m);
  });

  it('shows tokens only for a model with no known price', async () => {
    const r = await runInWorker([fixture('prompts.txt'), '--dry-run', '-m', 'llama3.2', '--base-url', 'http://localhost:11434/v1'], { env: NO_KEY });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/llama3\.2: 5 requests · \d+ prompt tokens/);
    expect(r.stdout).toMatch(/no price for this model/);
    expect(r.stdout).not.toMatch(/Estimated cost|\$/);
  });

  it('counts a prompt the tokenizer calls special instead of failing', async () => {
    const file = writePrompts(ctx.dir, 'special.txt', ['what does <|endoftext|> mean?']);
    const r = await runInWorker([file, '--dry-run'], { env: NO_KEY });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: 1 request · \d+ prompt tokens/);
  });

  it('fails like a real run on input it cannot read at all', async () => {
    const missing = await runInWorker([path.join(ctx.dir, 'missing.txt'), '--dry-run'], { env: NO_KEY });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read input file .*missing\.txt: no such file/);
    const headerOnly = path.join(ctx.dir, 'empty.csv');
    fs.writeFileSync(headerOnly, '');
    const empty = await runInWorker([headerOnly, '--dry-run'], { env: NO_KEY });
    // No prompts at all, as a real run says it: exit 5.
    expect(empty.code).toBe(5);
    expect(empty.stdout).toMatch(/0 records: 0 to send, 0 bad[\s\S]*Nothing to send\./);
    expect(empty.stderr).toMatch(/^llm-batch: no prompts in \S*empty\.csv \(it is empty/);
  });

  it('prints plain text only, and never the key', async () => {
    const r = await runCli([fixture('prompts.txt'), '--dry-run']);
    expect(r.stdout + r.stderr).not.toMatch(/\x1b/);
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
    expect(r.stderr).toBe('');
  });

  it('with --resume leaves out what the output already answers: its estimate is what the resume sends', async () => {
    ctx.server.reset();
    const dir = fs.mkdtempSync(path.join(ctx.dir, 'resume-'));
    const input = writePrompts(dir, 'p.txt', ['first question', 'second question', 'refused [[fault:400]]']);
    const out = path.join(dir, 'out.jsonl');
    const args = [input, '--base-url', ctx.server.url, '-o', out, '-m', 'gpt-4o', '--max-tokens', '10', '--no-cache'];
    expect((await runCli([...args, '--retries', '0'])).code).toBe(1);
    ctx.server.reset();
    const dry = (extra: string[]) => runInWorker([...args, '--resume', '--dry-run', ...extra], { env: NO_KEY });

    const done = await dry([]);
    expect(done.code, done.stderr).toBe(0);
    // The headline counts what the resume sends, not the whole input.
    expect(done.stdout).toMatch(/^ {2}3 records: 0 to send, 3 already answered, 0 bad$/m);
    expect(done.stdout).toContain(`  3 of 3 requests are answered in ${out} already (--resume sends them no more; left out below)`);
    expect(done.stdout).toMatch(/\nNothing to send\.\n\nEstimated cost: \$0: --resume has nothing left to send\n$/);
    const retry = await dry(['--retry-failed']);
    expect(retry.stdout).toMatch(/^ {2}3 records: 1 to send, 2 already answered, 0 bad$/m);
    expect(retry.stdout).toContain('  2 of 3 requests are answered');
    expect(retry.stdout).toMatch(/Estimate for 1 request \(/);
    expect(shownBodies(retry.stdout).map((b) => b.messages.at(-1).content)).toEqual(['refused [[fault:400]]']);
    const more = await dry(['--repeat', '2']);
    // Each record has a sample left to send.
    expect(more.stdout).toMatch(/^ {2}3 records: 3 to send, 0 bad$/m);
    expect(more.stdout).toContain('  3 of 6 requests are answered');
    expect(more.stdout).toMatch(/gpt-4o: 3 requests · /);
    expect(ctx.server.requests).toEqual([]);
  });
});
