// CPU of a whole short run (spawn to exit) for several built trees and node binaries, alternated run
// by run, against a local SSE mock in this process: where issue 16's fixed cost per run goes.
//   node bench/startup-cpu.mjs [ROUNDS] TREE[@NODE][#VAR=VALUE|#--flag…] ...   e.g. /tmp/before . .@/path/to/node24#NODE_DISABLE_COMPILE_CACHE=1
// CPU is the child's user + sys from getrusage(RUSAGE_CHILDREN) through a python3 wrapper
// (microseconds, where /proc and GNU time give 10 ms ticks); "tail" is the wall time from the
// mock's last response to the child's exit. SCENARIOS=help,s1,n1,s100,n100,min1 picks scenarios.
// Results: bench/results/2026-11-30-startup-s8.md.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const rounds = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 10;
const variants = args.map((a) => {
  const [spec, ...envs] = a.split('#');
  const [tree, node] = spec.split('@');
  const flags = envs.filter((e) => e.startsWith('-'));
  const env = Object.fromEntries(envs.filter((e) => !e.startsWith('-')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  return { tree: path.resolve(tree), node: node || process.execPath, env, flags, label: a };
});
const scenarios = (process.env.SCENARIOS ?? 'help,s1,n1,s100,n100,min1').split(',');
const python = process.env.PYTHON ?? 'python3';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-startup-'));
const wrapper = path.join(work, 'rusage.py');
fs.writeFileSync(
  wrapper,
  // Less what the process's children used before the CLI: a pyenv shim for python3 runs its own
  // helpers in the same process before it execs python, and they count as its children (~300 ms).
  'import resource, subprocess, sys\nb = resource.getrusage(resource.RUSAGE_CHILDREN)\np = subprocess.run(sys.argv[1:])\nr = resource.getrusage(resource.RUSAGE_CHILDREN)\nsys.stderr.write("RUSAGE %.6f %.6f %d\\n" % (r.ru_utime - b.ru_utime, r.ru_stime - b.ru_stime, p.returncode))\n',
);
const promptFile = (n) => {
  const file = path.join(work, `p${n}.txt`);
  fs.writeFileSync(file, `${Array.from({ length: n }, (_, i) => `question ${i}`).join('\n')}\n`);
  return file;
};
// One HOME for every run, as a user has: node's compile cache (under ~/.cache) is warm after the first.
const home = path.join(work, 'home');
const prompts = { 1: promptFile(1), 100: promptFile(100) };
const words = Array.from({ length: 20 }, (_, i) => `word${i}`);

let lastResponseEnd = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const stream = JSON.parse(body).stream === true;
    const base = { id: 'x', created: 0, model: 'gpt-4o-mini' };
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 20, total_tokens: 23 },
        }),
      );
    } else {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const ev = (o) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', ...o })}\n\n`;
      for (const [i, w] of words.entries()) res.write(ev({ choices: [{ index: 0, delta: { content: i ? ` ${w}` : w }, finish_reason: null }] }));
      res.write(ev({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 20, total_tokens: 23 } }));
      res.end('data: [DONE]\n\n');
    }
    lastResponseEnd = performance.now();
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/v1`;
const minimal = path.resolve(path.dirname(new URL(import.meta.url).pathname), 'reference/minimal-client.mjs');

function argvFor(variant, scenario, dir) {
  const out = path.join(dir, 'out.jsonl');
  if (scenario === 'help') return [variant.node, path.join(variant.tree, 'bin/llm-batch.js'), '--help'];
  if (scenario === 'min1') return [variant.node, minimal, url, prompts[1], out, '8', '1'];
  const n = Number(scenario.slice(1));
  const flags = [prompts[n], '--base-url', url, '-o', out, '-q', '--cache-dir', path.join(dir, 'cache')];
  if (scenario.startsWith('n')) flags.push('--no-stream');
  flags.push(...variant.flags);
  return [variant.node, path.join(variant.tree, 'bin/llm-batch.js'), ...flags];
}

async function once(variant, scenario) {
  const dir = fs.mkdtempSync(path.join(work, 'run-'));
  lastResponseEnd = 0;
  const child = spawn(python, [wrapper, ...argvFor(variant, scenario, dir)], {
    env: { PATH: process.env.PATH, HOME: home, OPENAI_API_KEY: 'sk-bench', ...variant.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  let exited = 0;
  await new Promise((resolve) => child.on('close', resolve));
  exited = performance.now();
  const m = /RUSAGE ([\d.]+) ([\d.]+) (-?\d+)/.exec(stderr);
  if (m?.[3] !== '0') throw new Error(`${variant.label} ${scenario}: ${stderr}`);
  fs.rmSync(dir, { recursive: true, force: true });
  // The wrapper's own exit after the child's is in the tail too (~a few ms, the same for all).
  return { cpu: (Number(m[1]) + Number(m[2])) * 1000, user: Number(m[1]) * 1000, tail: lastResponseEnd ? exited - lastResponseEnd : Number.NaN };
}

const results = new Map();
for (let r = 0; r < rounds; r++)
  for (const s of scenarios)
    for (const v of variants) {
      // The minimal client once per node binary and round.
      if (s === 'min1' && variants.find((w) => w.node === v.node) !== v) continue;
      const key = `${s}\t${s === 'min1' ? `minimal@${v.node === process.execPath ? 'this node' : v.node}` : v.label}`;
      if (!results.has(key)) results.set(key, []);
      results.get(key).push(await once(v, s));
    }
const med = (xs) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : Number.NaN;
};
console.log(`scenario\tvariant\tCPU ms median (min-max)\tuser ms\ttail ms\truns`);
for (const [key, rs] of results) {
  const cpus = rs.map((r) => r.cpu);
  console.log(
    `${key}\t${med(cpus).toFixed(1)} (${Math.min(...cpus).toFixed(0)}-${Math.max(...cpus).toFixed(0)})\t${med(rs.map((r) => r.user)).toFixed(1)}\t${med(rs.map((r) => r.tail)).toFixed(1)}\t${rs.length}`,
  );
}
server.close();
fs.rmSync(work, { recursive: true, force: true });
