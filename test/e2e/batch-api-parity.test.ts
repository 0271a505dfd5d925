/**
 * --batch-api says what a live run says, and a live run does not undo a batch run: the dry run's
 * custom_id is the one uploaded, --summary-json's resumeHint, -v/--trace of the Batch API's calls,
 * input errors located once, and a live --resume refused while batches are on the server.
 * The BUILT CLI against the mock server's Batch API (test/helpers/mock-batches.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { stderrLines, useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { SECRET_KEY, parseJsonl, runCli, writePrompts } from '../helpers/run-cli.js';
import { runInWorker } from '../helpers/run-in-worker.js';
import { shared } from '../helpers/shared-run.js';

const ctx = useServerAndCaseDir('llm-batch-batchparity-');

beforeEach(() => {
  ctx.server.options.batches = { stepMs: 30 };
});

interface Row {
  id: string;
  prompt: string;
  response: string | null;
  error: { type: string; message: string } | null;
}

const rowsOf = (file: string): Row[] => (fs.existsSync(file) ? parseJsonl<Row>(fs.readFileSync(file, 'utf8')) : []);
const batchArgs = () => ['--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--no-cache'];
const uploadedLines = (): any[] =>
  ctx.server.batchState.uploaded.flatMap((f) =>
    f.bytes
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
  );
/** One prompt through the Batch API with -v and --summary-json, to the end. */
const verboseFinished = shared(async () => {
  const input = writePrompts(ctx.dir, 'in.txt', ['one']);
  const summary = path.join(ctx.dir, 'sum.json');
  const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...batchArgs(), '-v', '--summary-json', summary]);
  return { r, summary: fs.existsSync(summary) ? JSON.parse(fs.readFileSync(summary, 'utf8')) : undefined };
});

/** Live chat completions the server got (the mock records only those). */
const chatRequests = () => ctx.server.requests;

describe('--dry-run --batch-api', () => {
  it('with several models and --repeat shows the custom_id the upload carries', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['first', 'second']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, ...batchArgs(), '-m', 'ma,mb', '--repeat', '2'];
    const dry = await runInWorker([...args, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const shown = [...dry.stdout.matchAll(/^ {2}"custom_id": (".*"),?$/gm)].map((m) => JSON.parse(m[1]!) as string);
    expect(shown).toHaveLength(2);

    const run = await runCli(args);
    expect(run.code, run.stderr).toBe(0);
    const sent = uploadedLines().map((l) => l.custom_id as string);
    expect(sent).toHaveLength(8);
    // The first request of each shown record, exactly as uploaded: [id, model, sample].
    const ids = rowsOf(out).map((r) => r.id);
    for (const id of shown) expect(sent).toContain(id);
    expect(JSON.parse(shown[0]!)).toEqual([expect.any(String), 'ma', 0]);
    expect(ids).toContain(JSON.parse(shown[0]!)[0]);
  });
});

describe('--fail-truncated with --batch-api', () => {
  it("fails a collected answer cut at the token limit or at the context length (Mistral's model_length), as live", async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['whole one', 'cut [[fault:length]]', 'filled [[fault:modellength]]']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--fail-truncated']);
    expect(r.code, r.stderr).toBe(1);
    const by = new Map(rowsOf(out).map((x) => [x.prompt.split(' ')[0], x]));
    expect(by.get('whole')).toMatchObject({ error: null });
    expect(by.get('cut')!.error).toMatchObject({ type: 'truncated', message: expect.stringMatching(/at the token limit .*"length"/) });
    expect(by.get('filled')!.error).toEqual({
      type: 'truncated',
      message: `the answer was cut off at the model's context length (finish_reason "model_length")`,
    });
  });
});

describe('--summary-json of a --batch-api run', () => {
  it('has the command that continues in resumeHint, as a live run has it', async () => {
    ctx.server.options.batches = { stepMs: 30, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const summary = path.join(ctx.dir, 'sum.json');
    const r = await runCli([input, '-o', out, ...batchArgs(), '--no-wait', '--summary-json', summary]);
    expect(r.code, r.stderr).toBe(75);
    const printed = /still pending; to continue, run: (.*)$/m.exec(r.stderr)?.[1];
    expect(printed).toMatch(/--resume$/);
    const json = JSON.parse(fs.readFileSync(summary, 'utf8'));
    expect(json).toMatchObject({ resumeHint: printed, pendingBatches: 1, input });
    expect(json).not.toHaveProperty('resumeCommand');
  });

  it('a finished run: resumeHint null, as live', async () => {
    const { r, summary } = await verboseFinished();
    expect(r.code, r.stderr).toBe(0);
    expect(summary).toMatchObject({ resumeHint: null, pendingBatches: 0, stopped: null });
  });
});

describe('-v and --trace with --batch-api', () => {
  it('--trace FILE logs the uploads, creates, polls and downloads, with the key nowhere', async () => {
    // A failed line's message echoes the key, as OpenAI's 401 does: it travels in the error file.
    ctx.server.options.batches = {
      stepMs: 30,
      lineStatus: (id) => (id.startsWith('2-') ? 401 : undefined),
      lineMessage: () => `Incorrect API key provided: ${SECRET_KEY}`,
    };
    const input = writePrompts(ctx.dir, 'in.txt', ['one', 'two']);
    const trace = path.join(ctx.dir, 'wire.log');
    const r = await runCli([input, '-o', path.join(ctx.dir, 'out.jsonl'), ...batchArgs(), '--trace', trace]);
    expect(r.code, r.stderr).toBe(1);
    const log = fs.readFileSync(trace, 'utf8');
    const base = ctx.server.url;
    expect(log).toMatch(new RegExp(`^#b\\d+ > POST ${base}/files$`, 'm'));
    // The upload's body is the request file, read as it is sent: named by its headers, not logged.
    expect(log).toMatch(/^#b1 > content-type: multipart\/form-data; boundary=/m);
    expect(log).toMatch(/^#b1 > \(a streamed body: not logged\)$/m);
    expect(log).toMatch(new RegExp(`^#b\\d+ > POST ${base}/batches$`, 'm'));
    expect(log).toMatch(/^#b\d+ > \{"input_file_id":"file-mock\d+","endpoint":"\/v1\/chat\/completions"/m);
    expect(log).toMatch(new RegExp(`^#b\\d+ > GET ${base}/batches/batch_mock\\d+$`, 'm'));
    expect(log).toMatch(new RegExp(`^#b\\d+ > GET ${base}/files/file-mock\\d+/content$`, 'm'));
    expect(log).toMatch(/^#b\d+ < \{"id":"batch_req_[^"]*","custom_id":"1-[0-9a-f]+","response":\{"status_code":200/m);
    expect(log).toMatch(/^#b\d+ > authorization: \[redacted\]$/m);
    expect(log).toMatch(/Incorrect API key provided: \[redacted\]/);
    expect(log).not.toContain(SECRET_KEY);
    expect(r.stderr).not.toMatch(/^#b/m); // to the file only
  });

  it('-v: the same on stderr, the key nowhere', async () => {
    const { r } = await verboseFinished();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^#b1 > POST .*\/files$/m);
    expect(r.stderr).toMatch(/^#b\d+ < \{"id":"batch_mock\d+"/m);
    expect(r.stdout + r.stderr).not.toContain(SECRET_KEY);
  });
});

describe('-v and --trace with status and cancel', () => {
  it('log the Batch API calls each makes as a run does (-v on stderr, --trace FILE), the key nowhere', async () => {
    ctx.server.options.batches = { stepMs: 30, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', ['one', 'two', 'three', 'four']);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, ...batchArgs(), '--batch-size', '2', '--no-wait'])).code).toBe(75);
    const base = ctx.server.url;

    const status = await runCli(['status', out, '--base-url', base, '-v']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toMatch(new RegExp(`^#b1 > GET ${base}/batches/batch_mock\\d+$`, 'm'));
    expect(status.stderr).toMatch(/^#b1 > authorization: \[redacted\]$/m);
    expect(status.stderr).toMatch(/^#b\d+ < \{"id":"batch_mock\d+"/m);
    expect(status.stdout.trim().split('\n')).toHaveLength(2); // stdout keeps its status lines only
    expect(status.stdout).not.toMatch(/#b\d/);

    const statusTrace = path.join(ctx.dir, 'status.log');
    const json = await runCli(['status', out, '--json', '--base-url', base, '--trace', statusTrace]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ pending: 2 });
    expect(json.stderr).toBe('');
    expect(fs.readFileSync(statusTrace, 'utf8')).toMatch(new RegExp(`^#b\\d+ > GET ${base}/batches/batch_mock\\d+$`, 'm'));

    // A trace appended to the results (or a file beside them) would break them: refused, nothing sent.
    const before = fs.readFileSync(out, 'utf8');
    const clash = await runInWorker(['cancel', out, '--base-url', base, '--trace', out]);
    expect(clash.code).toBe(2);
    expect(stderrLines(clash)).toEqual([`llm-batch: --trace ${out} is the output file: choose another path`]);
    expect(ctx.server.batchState.counts.cancels).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(before);

    const cancelTrace = path.join(ctx.dir, 'cancel.log');
    const cancelled = await runCli(['cancel', out, '--base-url', base, '--poll', '0.05', '--trace', cancelTrace]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(ctx.server.batchState.counts.cancels).toBe(2);
    const log = fs.readFileSync(cancelTrace, 'utf8');
    expect(log).toMatch(new RegExp(`^#b\\d+ > POST ${base}/batches/batch_mock\\d+/cancel$`, 'm'));
    expect(log).toMatch(/^#b\d+ > authorization: \[redacted\]$/m);
    expect(cancelled.stderr).not.toMatch(/^#b/m); // to the file only

    for (const text of [status.stdout, status.stderr, json.stdout, fs.readFileSync(statusTrace, 'utf8'), cancelled.stderr, log])
      expect(text).not.toContain(SECRET_KEY);
  });
});

describe('--batch-api input errors', () => {
  it('name their file and line once, as a live run does', async () => {
    const line = (id: string, url: string, content: string) =>
      JSON.stringify({ custom_id: id, method: 'POST', url, body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content }] } });
    fs.writeFileSync(
      path.join(ctx.dir, 'bf.jsonl'),
      `${[line('a', '/v1/chat/completions', 'one'), line('b', '/v1/embeddings', 'two'), line('a', '/v1/chat/completions', 'three')].join('\n')}\n`,
    );
    const run = (out: string, batch: boolean) =>
      runCli(['bf.jsonl', '-o', out, '--base-url', ctx.server.url, '--no-cache', ...(batch ? ['--batch-api', '--poll', '0.05'] : [])], { cwd: ctx.dir });
    const live = await run('live.jsonl', false);
    const batch = await run('batch.jsonl', true);
    expect(batch.code, batch.stderr).toBe(1);
    const errors = (file: string) =>
      rowsOf(path.join(ctx.dir, file))
        .filter((r) => r.error)
        .map((r) => r.error!.message)
        .sort();
    const said = errors('batch.jsonl');
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(/^bf\.jsonl:2: "url" must be \/v1\/chat\/completions/);
    expect(said[1]).toMatch(/^bf\.jsonl:3: duplicate id "a"/);
    for (const message of said) expect(message.split('bf.jsonl:')).toHaveLength(2);
    expect(said).toEqual(errors('live.jsonl'));
    // stderr says it once too.
    expect(batch.stderr).toMatch(/^llm-batch: bf\.jsonl:2: "url" must be/m);
    expect(batch.stderr).not.toMatch(/bf\.jsonl:\d+: \w+: bf\.jsonl/);
    expect(live.code).toBe(1);
  });
});

describe('a live run over batches still on the server', () => {
  it('a batch state that cannot be read refuses a plain run into the output, saying why and the way on; nothing is sent', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    fs.writeFileSync(`${out}.batch.json`, '{"version":1,"chunks":[{"n":1,"batchId":"batch_x","status":"in_progress"');
    const plain = await runInWorker([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '-q']);
    expect(plain.code).toBe(2);
    expect(stderrLines(plain)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^llm-batch: batch manifest ${out}\\.batch\\.json is damaged \\(.+\\): this batch state of an earlier --batch-api run into ${out} may list batches still on the server, whose prompts a live run would send again and pay twice; if none of its batches is running, delete it \\(or make it readable\\) and run again$`,
        ),
      ),
    ]);
    // A directory in its place is read, and said, alike.
    fs.rmSync(`${out}.batch.json`);
    fs.mkdirSync(`${out}.batch.json`);
    const dir = await runInWorker([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '-q']);
    expect(dir.code).toBe(2);
    expect(dir.stderr).toMatch(/^llm-batch: cannot read batch manifest \S+\.batch\.json: .*: this batch state of an earlier --batch-api run/);
    expect(chatRequests()).toHaveLength(0);
    // Deleted, the run goes on.
    fs.rmdirSync(`${out}.batch.json`);
    const again = await runInWorker([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '-q']);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('--resume, --overwrite and a plain run into the empty output are refused, naming the batches; nothing is sent live; --batch-api --resume collects them', async () => {
    let holding = true;
    ctx.server.options.batches = { stepMs: 30, hold: () => holding };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const first = await runCli([input, '-o', out, ...batchArgs(), '--no-wait']);
    expect(first.code, first.stderr).toBe(75);
    const batchId = [...ctx.server.batchState.batches.keys()][0]!;
    const before = fs.readFileSync(`${out}.batch.json`, 'utf8');

    // --no-wait left the output empty: a plain run into it sent every prompt again while the batch ran on.
    expect(fs.statSync(out).size).toBe(0);
    for (const flag of ['--resume', '--overwrite', '']) {
      // A refusal before anything is sent: the --resume one as a child process, the others in the worker.
      const liveArgs = [input, '-o', out, '--base-url', ctx.server.url, '--no-cache', ...(flag ? [flag] : [])];
      const live = flag === '--resume' ? await runCli(liveArgs) : await runInWorker(liveArgs);
      expect(live.code, live.stderr).toBe(2);
      expect(stderrLines(live)).toHaveLength(1);
      expect(live.stderr).toContain(`lists 1 batch of an earlier --batch-api run not collected yet (${batchId})`);
      expect(live.stderr).toContain(`a live ${flag || 'run'} would send its prompts again and pay twice`);
      expect(live.stderr).toContain(`collect it with --batch-api --resume, or cancel it with \`llm-batch cancel ${out}\` first`);
      // Its dry run refuses it alike (it said "3 to send").
      const dry = await runInWorker([...liveArgs, '--dry-run']);
      expect({ code: dry.code, stderr: dry.stderr, stdout: dry.stdout }).toEqual({ code: 2, stderr: live.stderr, stdout: '' });
    }
    expect(chatRequests()).toHaveLength(0);
    expect(fs.readFileSync(`${out}.batch.json`, 'utf8')).toBe(before);

    holding = false;
    const collected = await runCli([input, '-o', out, ...batchArgs(), '--resume']);
    expect(collected.code, collected.stderr).toBe(0);
    expect(
      rowsOf(out)
        .map((r) => r.response)
        .sort(),
    ).toEqual(['ECHO a', 'ECHO b', 'ECHO c']);
    // Collected: a live --resume is fine again (and has nothing to send).
    const again = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(chatRequests()).toHaveLength(0);
  });

  it('after `llm-batch cancel` a live --resume sends the lines the batch never ran', async () => {
    ctx.server.options.batches = { stepMs: 30, hold: () => true };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    expect((await runCli([input, '-o', out, ...batchArgs(), '--no-wait'])).code).toBe(75);
    const cancelled = await runCli(['cancel', out, '--poll', '0.05']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const aborted = rowsOf(out).filter((r) => r.error?.type === 'aborted');
    expect(aborted.length).toBeGreaterThan(0);
    const live = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--no-cache', '--resume']);
    expect(live.code, live.stderr).toBe(0);
    expect(chatRequests().map((r) => r.prompt)).toEqual(aborted.map((r) => r.prompt));
  });
});
