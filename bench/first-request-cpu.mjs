// CPU time of the CLI from spawn to its first request, for trees given as arguments, alternating
// run by run: `node bench/first-request-cpu.mjs /path/to/old-tree .` (each tree built). CPU rather
// than wall, so that it holds on a loaded machine; read from /proc/<pid>/stat (Linux, 10 ms ticks).
// ROUNDS=12 by default; SEED_CACHE=<dir> copies a populated response cache into each run's own.
// Results: bench/results/2026-11-30-first-request.md.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const trees = process.argv.slice(2).map((t) => path.resolve(t));
const rounds = Number(process.env.ROUNDS ?? 12);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-first-'));
const prompts = path.join(work, 'p.txt');
fs.writeFileSync(prompts, `${Array.from({ length: 20 }, (_, i) => `q ${i}`).join('\n')}\n`);
const answer = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function once(tree) {
  let cpu;
  let child;
  const server = http.createServer((req, res) => {
    if (cpu === undefined) cpu = cpuMs(child.pid);
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cache = fs.mkdtempSync(path.join(work, 'cache-'));
  if (process.env.SEED_CACHE) fs.cpSync(process.env.SEED_CACHE, cache, { recursive: true });
  const url = `http://127.0.0.1:${server.address().port}/v1`;
  child = spawn(process.execPath, [path.join(tree, 'bin/llm-batch.js'), prompts, '--base-url', url, '--no-stream', '-q', '-c', '4'], {
    env: { PATH: process.env.PATH, HOME: work, OPENAI_API_KEY: 'sk-bench', LLM_BATCH_CACHE_DIR: cache },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await new Promise((resolve) => child.on('close', resolve));
  server.close();
  return cpu;
}

const results = new Map(trees.map((t) => [t, []]));
for (let i = 0; i < rounds; i++) for (const t of trees) results.get(t).push(await once(t));
for (const [t, cpus] of results) {
  cpus.sort((a, b) => a - b);
  console.log(`${t}: CPU to the first request, median ${cpus[Math.floor(cpus.length / 2)]} ms, min ${cpus[0]} ms (${cpus.length} runs)`);
}
fs.rmSync(work, { recursive: true, force: true });
