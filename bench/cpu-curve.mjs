// Marginal CPU per request by stage of one run (rows 0-500, 500-1,000, …), llm-batch builds and the
// minimal client alternated round by round, each run against a fresh mock process (one SSE event per
// word). Shows where in a run llm-batch's extra CPU goes: its start, its first requests, or every
// request alike. The process's CPU (all threads, /proc/PID/stat, 10 ms ticks) and its output's rows
// are sampled every 50 ms; a stage's figure is its CPU over its rows, the median over the rounds.
// Needs `npx tsc -p bench` (the mock process) and each checkout built.
//
// usage: node bench/cpu-curve.mjs WORDS LATENCY_MS N CONCURRENCY STREAM(1|0) ROUNDS CLIENT...
//   CLIENT: as for bench/hot-drive.mjs (`min`, a checkout dir, `DIR+--flag`, `CLIENT@--node-flag`).
//   NODE_BIN runs llm-batch on another node (the minimal client runs on the node running this).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { clientCommand, promptsFile, startMock } from './drive-client.mjs';

const [words, latency, n, conc, stream, rounds, ...clients] = process.argv.slice(2);
const TICKS_PER_S = 100;
const STAGES = [0, 500, 1000, 2000, 3000, 5000, 7500, 10000, 20000, 50000, 100000].filter((r) => r < Number(n));
const { tmp, prompts } = promptsFile('cpucurve', n);

/** Rows in `file`, counted from where the last call stopped. */
function rowCounter(file) {
  let offset = 0;
  let rows = 0;
  const buf = Buffer.alloc(1 << 20);
  return () => {
    let fd;
    try {
      fd = fs.openSync(file, 'r');
    } catch {
      return rows;
    }
    try {
      for (;;) {
        const got = fs.readSync(fd, buf, 0, buf.length, offset);
        if (got === 0) break;
        for (let i = 0; i < got; i++) if (buf[i] === 10) rows++;
        offset += got;
      }
    } finally {
      fs.closeSync(fd);
    }
    return rows;
  };
}

function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

async function runOnce(client) {
  const mock = await startMock(words, latency);
  const out = `${tmp}/out.jsonl`;
  const [node, args] = clientCommand(client, { url: mock.url, prompts, out, tmp, conc, stream });
  const child = spawn(node, args, { env: { ...process.env, OPENAI_API_KEY: 'sk-bench' }, stdio: 'ignore' });
  const rows = rowCounter(out);
  const points = [[0, 0]];
  let last = 0;
  const sample = () => {
    const cpu = cpuSeconds(child.pid);
    if (!Number.isNaN(cpu)) {
      last = cpu;
      points.push([rows(), cpu]);
    }
  };
  const timer = setInterval(sample, 50);
  // `last` is the last sample before the exit: /proc/PID/stat is gone once the parent reaps the child.
  await new Promise((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  await mock.close();
  const total = rows();
  points.push([total, last]);
  return { points, total, cpu: last };
}

/** CPU per row (µs) of each stage, from the first sample at or past its start to the first at or past its end. */
function stages({ points, total, cpu }) {
  const at = (row) => points.find(([r]) => r >= row);
  const firstRow = points.find(([r]) => r > 0);
  const figures = { beforeFirstRow: firstRow ? firstRow[1] : Number.NaN, total: cpu, rows: total };
  const bounds = [...STAGES, Number(n)];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const a = bounds[i] === 0 ? firstRow : at(bounds[i]);
    const b = at(bounds[i + 1]);
    figures[`${bounds[i]}-${bounds[i + 1]}`] = a && b && b[0] > a[0] ? ((b[1] - a[1]) / (b[0] - a[0])) * 1e6 : Number.NaN;
  }
  return figures;
}

const median = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = new Map(clients.map((c) => [c, []]));
for (let round = 0; round < Number(rounds); round++)
  for (const c of clients) {
    const figures = stages(await runOnce(c));
    results.get(c).push(figures);
    console.error(`round ${round + 1} ${c}: ${figures.total.toFixed(2)} s CPU, ${figures.rows} rows`);
  }
fs.rmSync(tmp, { recursive: true, force: true });

const keys = Object.keys(results.get(clients[0])[0]).filter((k) => k !== 'rows');
const label = (k) => (k === 'beforeFirstRow' ? 'CPU before the first row (s)' : k === 'total' ? 'CPU in all (s)' : `rows ${k} (µs of CPU a row)`);
console.log(`${words} words, ${latency} ms, ${n} prompts, -c ${conc}, ${stream === '0' ? 'not streamed' : 'streamed'}; medians of ${rounds} rounds`);
console.log(['stage'.padEnd(34), ...clients.map((c) => c.padStart(12)), clients.length === 2 ? ' 2nd / 1st' : ''].join(' '));
for (const k of keys) {
  const values = clients.map((c) => median(results.get(c).map((f) => f[k])));
  const fmt = (v) => (k === 'beforeFirstRow' || k === 'total' ? v.toFixed(2) : v.toFixed(0)).padStart(12);
  const ratio = values.length === 2 ? (values[1] / values[0]).toFixed(2).padStart(12) : '';
  console.log([label(k).padEnd(34), ...values.map(fmt), ratio].join(' '));
}
