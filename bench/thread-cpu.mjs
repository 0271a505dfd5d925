// CPU per request by thread: the main thread (the client's own code, and its share of garbage
// collection), V8's helper threads (parallel scavenges, concurrent marking, the optimizing
// compiler) and libuv's pool (lmdb's writer: the response cache's commits and syncs). The process's
// total is what bench/hot-drive.mjs and `npm run bench -- hot` compare; this says which part of it
// differs. Builds and the minimal client alternated round by round, each run against a fresh mock
// process (one SSE event per word). Linux only: /proc/PID/task/TID/stat, sampled every 20 ms until
// the process exits (the last sample misses at most its final 20 ms, alike for every client).
// Needs `npx tsc -p bench` (the mock process) and each checkout built.
//
// usage: node bench/thread-cpu.mjs WORDS LATENCY_MS N CONCURRENCY STREAM(1|0) ROUNDS CLIENT...
//   CLIENT: as for bench/hot-drive.mjs (`min`, a checkout dir, `DIR+--flag`, `CLIENT@--node-flag`).
//   NODE_BIN runs llm-batch on another node (the minimal client runs on the node running this).
//   Prints one line a run and, at the end, each client's medians.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { clientCommand, promptsFile, startMock } from './drive-client.mjs';

const [words, latency, n, conc, stream, rounds, ...clients] = process.argv.slice(2);
const TICKS_PER_S = 100;
/** Thread groups as the kernel names them: node names V8's helpers after the process. */
const GROUPS = ['main', 'V8 helpers', 'libuv pool', 'other'];
const groupOf = (tid, pid, name) => (tid === pid ? 'main' : name === 'node' ? 'V8 helpers' : name.startsWith('libuv-worker') ? 'libuv pool' : 'other');

/** CPU ticks of each of the process's threads, as last seen. */
function threadSampler(pid) {
  const last = new Map();
  return {
    sample() {
      let tids;
      try {
        tids = fs.readdirSync(`/proc/${pid}/task`);
      } catch {
        return;
      }
      for (const tid of tids) {
        let stat;
        try {
          stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        } catch {
          continue;
        }
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        last.set(tid, { group: groupOf(tid, String(pid), name), ticks: Number(fields[11]) + Number(fields[12]) });
      }
    },
    byGroup() {
      const out = Object.fromEntries(GROUPS.map((g) => [g, 0]));
      for (const { group, ticks } of last.values()) out[group] += ticks / TICKS_PER_S;
      return out;
    },
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const perRequest = (seconds) => ((seconds / Number(n)) * 1e6).toFixed(1).padStart(6);

const { tmp, prompts } = promptsFile('threadcpu', n);
const seen = new Map(clients.map((c) => [c, []]));
for (let round = 0; round < Number(rounds); round++)
  for (const c of clients) {
    const mock = await startMock(words, latency);
    const out = `${tmp}/out.jsonl`;
    const [node, args] = clientCommand(c, { url: mock.url, prompts, out, tmp, conc, stream });
    const child = spawn(node, args, { env: { ...process.env, OPENAI_API_KEY: 'sk-bench' }, stdio: 'ignore' });
    const sampler = threadSampler(child.pid);
    const timer = setInterval(() => sampler.sample(), 20);
    const code = await new Promise((resolve) => child.on('exit', (exit, signal) => resolve(exit ?? signal)));
    clearInterval(timer);
    await mock.close();
    const groups = sampler.byGroup();
    seen.get(c).push(groups);
    const total = GROUPS.reduce((sum, g) => sum + groups[g], 0);
    console.log(
      `${c.padEnd(30)} µs/req: total ${perRequest(total)}  ${GROUPS.map((g) => `${g} ${perRequest(groups[g])}`).join('  ')}${code === 0 ? '' : `  EXIT ${code}`}`,
    );
  }
console.log(`medians over ${rounds} rounds, µs a request:`);
for (const [c, runs] of seen) {
  const total = median(runs.map((r) => GROUPS.reduce((sum, g) => sum + r[g], 0)));
  console.log(`${c.padEnd(30)} total ${perRequest(total)}  ${GROUPS.map((g) => `${g} ${perRequest(median(runs.map((r) => r[g])))}`).join('  ')}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
