// Side-by-side CPU per request of several llm-batch builds and the minimal client, alternated round
// by round, each run against a fresh mock process (one SSE event per word), under GNU time. For
// before/after comparisons of two checkouts, which `npm run bench -- hot` (one tree) cannot do.
// Rows are counted only. Needs `npx tsc -p bench` (the mock process) and each checkout built.
//
// usage: node bench/hot-drive.mjs WORDS LATENCY_MS N CONCURRENCY STREAM(1|0) ROUNDS CLIENT...
//   CLIENT: `min` (bench/reference/minimal-client.mjs) or a checkout dir (its built bin/llm-batch.js),
//   optionally `DIR+--flag,--flag` for extra llm-batch flags (e.g. ../old+--no-cache), and
//   `CLIENT@--node-flag,…` for node flags of that client alone (e.g. min@--cpu-prof, .@--no-opt).
//   NODE_FLAGS='--cpu-prof …' adds node flags to every llm-batch; NODE_BIN runs llm-batch on another node.
//   MOCK_RATE='{"requests":450,"windowMs":1000}' gives the mock a rate limit (its headers, as OpenAI's, and
//   429s past it); each line then says the requests the mock saw (above N: 429s retried).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { clientCommand, promptsFile, startMock } from './drive-client.mjs';
const [words, latency, n, conc, stream, rounds, ...clients] = process.argv.slice(2);
const { tmp, prompts } = promptsFile('hotdrive', n);
for (let round = 0; round < Number(rounds); round++)
  for (const c of clients) {
    const mock = await startMock(words, latency);
    const out = `${tmp}/out.jsonl`;
    const [node, args] = clientCommand(c, { url: mock.url, prompts, out, tmp, conc, stream });
    const t0 = Date.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', node, ...args], {
      env: { ...process.env, OPENAI_API_KEY: 'sk-bench' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const wall = (Date.now() - t0) / 1000;
    const [u, s, m] = String(r.stderr).trim().split('\n').at(-1).split(/\s+/).map(Number);
    const rows = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').filter(Boolean).length : 0;
    const seen = process.env.MOCK_RATE ? `  mock requests ${(await mock.stats()).requests}` : '';
    console.log(
      `${c.padEnd(30)} cpu ${(u + s).toFixed(2)} s = ${(((u + s) / Number(n)) * 1e6).toFixed(0).padStart(5)} µs/req (u ${u} s ${s})  wall ${wall.toFixed(2)} s  rss ${(m / 1024).toFixed(0)} MB  rows ${rows}${rows === Number(n) ? '' : ' MISSING ROWS'}${seen}`,
    );
    await mock.close();
  }
fs.rmSync(tmp, { recursive: true, force: true });
