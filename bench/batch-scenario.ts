/**
 * `npm run bench -- batch`: a million prompts through --batch-api against the mock's /v1/files and
 * /v1/batches (in this process; the CLI is a child). The mock answers a batch 3 × STEP_MS after it
 * is created, so wall time minus that floor is what the CLI itself costs.
 */
import { startMockServer } from '../test/helpers/mock-server.js';
import {
  BENCH_KEY,
  checkRows,
  describeRowCheck,
  fmt,
  makePrompts,
  readSummary,
  runCli,
  tail,
  workspace,
  type Measure,
  type ScenarioResult,
} from './harness.js';

const N = 1_000_000;
const STEP_MS = 1000;
const RSS_LIMIT_MB = 300;

export const batchApi = {
  name: 'batch',
  summary: `1,000,000 prompts via --batch-api (20 batches of 50,000): submit + collect wall, collect rows/s; peak RSS < ${RSS_LIMIT_MB} MB`,
  async run(): Promise<ScenarioResult> {
    const prompts = makePrompts(N, 'batch');
    const ws = workspace(prompts);
    const server = await startMockServer({ apiKey: BENCH_KEY, batches: { stepMs: STEP_MS, keepUploads: false, approximateUsage: true } });
    try {
      const run = await runCli([ws.input, '--base-url', server.url, '-o', ws.output, '--summary-json', ws.summary, '--batch-api', '--poll', '0.5', '-q'], {
        rss: true,
        timeoutMs: 1_800_000,
      });
      const end = run.startedAt + run.wallMs;
      const state = server.batchState;
      const rows = checkRows(ws.output, prompts);
      const exitOk = run.code === 0 && !run.timedOut;
      const notes: string[] = [];
      if (!exitOk || !rows.pass) notes.push(`exit ${run.code}${run.signal ? ` (${run.signal})` : ''}; stderr tail:\n${tail(run.stderr)}`);
      const summary = readSummary(ws.summary);
      const rssMb = run.peakRssKb === undefined ? undefined : run.peakRssKb / 1024;
      const submitMs = state.lastCreateAt === undefined ? undefined : state.lastCreateAt - run.startedAt;
      const collectMs = state.firstDownloadAt === undefined ? undefined : end - state.firstDownloadAt;
      const measures: Measure[] = [
        {
          name: 'rows',
          value: describeRowCheck(rows, N) + (exitOk ? '' : `, exit ${run.code ?? run.signal}`),
          requirement: 'one success row per prompt, exit 0',
          pass: rows.pass && exitOk,
        },
        { name: 'batches created', value: `${state.counts.creates} (uploads ${state.counts.uploads})`, requirement: '20', pass: state.counts.creates === 20 },
        { name: 'wall (child, incl. node start)', value: `${fmt.s(run.wallMs)} (mock floor ${fmt.s(3 * STEP_MS)})` },
        {
          name: 'submit: plan + upload + create',
          value: submitMs === undefined ? 'n/a' : `${fmt.s(submitMs)} (${fmt.int(Math.round(N / (submitMs / 1000)))} prompts/s)`,
        },
        {
          name: 'collect: first download to exit',
          value: collectMs === undefined ? 'n/a' : `${fmt.s(collectMs)} (${fmt.int(Math.round(N / (collectMs / 1000)))} rows/s)`,
        },
        {
          name: 'CPU of the CLI (user + sys)',
          value:
            run.cpuSeconds === undefined
              ? 'n/a'
              : `${run.cpuSeconds.toFixed(1)} s (${fmt.int(Math.round(N / run.cpuSeconds))} prompts per CPU second, submit and collect)`,
        },
        { name: 'summary', value: summary ? `${fmt.int(summary.ok)} ok, ${fmt.int(summary.failed)} failed` : 'n/a' },
        {
          name: 'peak RSS (CLI process)',
          value: fmt.mb(run.peakRssKb),
          requirement: `< ${RSS_LIMIT_MB} MB`,
          pass: rssMb !== undefined && rssMb < RSS_LIMIT_MB,
        },
      ];
      return { scenario: 'batch', measures, notes };
    } finally {
      await server.close();
      ws.cleanup();
    }
  },
};
