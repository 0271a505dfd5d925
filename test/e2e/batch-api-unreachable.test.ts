/**
 * --batch-api against an endpoint it cannot reach: before any batch exists it stops as a live run's
 * circuit breaker does (exit 4, one line naming the setting to check, even with -q); once batches run
 * on the server an outage is waited out, but not silently and not for ever. The BUILT CLI against the
 * mock server's Batch API (test/helpers/mock-batches.ts) and a port nothing listens on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadPort } from '../helpers/dead-port.js';
import { useServerAndCaseDir } from '../helpers/mock-server-hooks.js';
import { runCli, writePrompts } from '../helpers/run-cli.js';

const ctx = useServerAndCaseDir('llm-batch-batchunreach-');

const manifestOf = (out: string) => `${out}.batch.json`;

/** Moves the start of the recorded outage back: as if the calls had failed for `minutes` already. */
function failingFor(out: string, minutes: number): void {
  const manifest = JSON.parse(fs.readFileSync(manifestOf(out), 'utf8'));
  manifest.failingSince = Date.now() - minutes * 60_000;
  fs.writeFileSync(manifestOf(out), JSON.stringify(manifest));
}

describe('--batch-api: an endpoint it cannot reach before any batch exists', () => {
  it('the hourly cron idiom (--no-wait --resume -q) stops with exit 4 and the diagnosis, not 75 "pending"', async () => {
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const base = `http://127.0.0.1:${await deadPort()}/v1`;
    const r = await runCli([input, '-o', out, '--base-url', base, '--batch-api', '--no-wait', '--resume', '-q', '--no-cache']);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/the Batch API cannot be reached .*ECONNREFUSED.*no batch was submitted/);
    expect(r.stderr).toContain(`nothing is listening at ${base} (connection refused): is the server running, and is the port in --base-url right?`);
    expect(r.stderr).toMatch(/when that is fixed, run: llm-batch .* --resume/);
    expect(r.stderr).not.toMatch(/pending/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a waiting run stops too, and a later --resume with the right --base-url submits and collects', async () => {
    ctx.server.options.batches = { stepMs: 20 };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b', 'c']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const dead = `http://127.0.0.1:${await deadPort()}/v1`;
    const r = await runCli([input, '-o', out, '--base-url', dead, '--batch-api', '--poll', '0.05', '--no-cache'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/nothing is listening at/);
    const again = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--no-cache', '--resume']);
    expect(again.code, again.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('--batch-api: the Batch API failing while nothing or something is submitted', () => {
  it('--no-wait with every upload refused (503) says nothing was submitted, not that a batch is pending', async () => {
    ctx.server.options.batches = { stepMs: 20, uploadStatus: () => 503 };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const r = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache']);
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr).toMatch(/nothing was submitted yet \(1 batch waits to be uploaded: uploading chunk-00001\.jsonl: HTTP 503 .*\); to try again, run: /);
    expect(r.stderr).not.toMatch(/still pending/);

    // The uploads have failed for 2 h (an hourly cron job's runs): said, without running batches.
    failingFor(out, 120);
    const cron = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-wait', '--no-cache', '--resume', '-q']);
    expect(cron.code, cron.stderr).toBe(75);
    expect(cron.stderr).toMatch(
      /the Batch API has failed every call for 120 min \(last: uploading chunk-00001\.jsonl: HTTP 503 .*\); nothing was submitted yet\n/,
    );
    expect(cron.stderr).not.toMatch(/keep running on the server|waiting up to/);
    // A waiting run past the bound stops at once: it does not say it waits first.
    const waiting = await runCli([input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--no-cache', '--resume', '-q']);
    expect(waiting.code, waiting.stderr).toBe(75);
    expect(waiting.stderr).toMatch(/stopped waiting: the Batch API has failed every call for 120 min/);
    expect(waiting.stderr).not.toMatch(/keep running on the server|waiting up to/);
  });

  it('polls failing for long: said even with -q under --no-wait, and a waiting run stops waiting at the bound (exit 75)', async () => {
    let outage = false;
    ctx.server.options.batches = { stepMs: 20, hold: () => true, retrieveStatus: () => (outage ? 503 : undefined) };
    const input = writePrompts(ctx.dir, 'in.txt', ['a', 'b']);
    const out = path.join(ctx.dir, 'out.jsonl');
    const args = [input, '-o', out, '--base-url', ctx.server.url, '--batch-api', '--poll', '0.05', '--no-cache', '-q'];
    const submitted = await runCli([...args, '--no-wait']);
    expect(submitted.code, submitted.stderr).toBe(75);
    expect(submitted.stderr).toBe('');

    outage = true;
    // The first failed poll starts the outage: a blip says nothing under -q.
    const blip = await runCli([...args, '--no-wait', '--resume']);
    expect(blip.code, blip.stderr).toBe(75);
    expect(blip.stderr).toBe('');
    failingFor(out, 20);
    const lasting = await runCli([...args, '--no-wait', '--resume']);
    expect(lasting.code, lasting.stderr).toBe(75);
    expect(lasting.stderr).toMatch(
      /the Batch API has failed every call for 20 min \(last: reading batch batch_mock\d+: HTTP 503 .*\); the batches keep running on the server/,
    );
    expect(lasting.stderr).toMatch(/1 batch is still pending; to continue, run: /);

    failingFor(out, 61);
    const waiting = await runCli([...args, '--resume'], { timeoutMs: 30_000 });
    expect(waiting.code, waiting.stderr).toBe(75);
    expect(waiting.stderr).toMatch(/stopped waiting: the Batch API has failed every call for 61 min/);

    // The outage over, the same command collects; the manifest forgets the outage.
    outage = false;
    ctx.server.options.batches = { stepMs: 20 };
    const done = await runCli([...args, '--resume']);
    expect(done.code, done.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
