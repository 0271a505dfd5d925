/**
 * `npm run bench [-- NAME... ] [--repeat N] [--list]`
 *
 * Runs the benchmark scenarios against the built CLI (run `npm run build` first; the npm script
 * does), prints a table per scenario as it finishes and a combined table at the end, and exits 1
 * if any requirement failed (2 on bad arguments). With no NAME, the scale tests (`npm run
 * test:scale`) run after the scenarios: here rather than in the npm script, where npm would hand
 * them the NAMEs.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { RSS_METHOD, ROOT, machine, revision, passed, resultRows, table, type ScenarioResult } from './harness.js';
import { GROUPS, OPT_IN, SCENARIOS, type Scenario } from './scenarios.js';

const HEADER = ['scenario', 'measure', 'value', 'requirement', 'result'];

function usage(): string {
  const names = SCENARIOS.map((s) => `  ${s.name.padEnd(17)} ${s.summary}`).join('\n');
  const groups = Object.entries(GROUPS)
    .map(([g, members]) => `  ${g.padEnd(17)} ${members.join(' + ')}`)
    .join('\n');
  return [
    'usage: npm run bench -- [NAME...] [--repeat N] [--list]',
    '',
    'Scenarios (all but hot-* when none is named):',
    names,
    '',
    'Groups:',
    groups,
    '',
    '  --repeat N   run each selected scenario N times (to see the variance)',
  ].join('\n');
}

function parseArgs(argv: readonly string[]): { selected: Scenario[]; repeat: number; whole: boolean } | { exit: number; text: string } {
  let repeat = 1;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h' || a === '--list') return { exit: 0, text: usage() };
    if (a === '--repeat' || a.startsWith('--repeat=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      repeat = Number(v);
      if (!Number.isInteger(repeat) || repeat < 1) return { exit: 2, text: `bench: --repeat needs a positive integer, got ${v}` };
      continue;
    }
    if (a.startsWith('-')) return { exit: 2, text: `bench: unknown option ${a}\n\n${usage()}` };
    names.push(a);
  }
  const wanted = new Set<string>();
  for (const n of names) {
    const group = GROUPS[n];
    if (group) for (const g of group) wanted.add(g);
    else if (SCENARIOS.some((s) => s.name === n)) wanted.add(n);
    else return { exit: 2, text: `bench: unknown scenario "${n}"\n\n${usage()}` };
  }
  const selected = names.length ? SCENARIOS.filter((s) => wanted.has(s.name)) : SCENARIOS.filter((s) => !OPT_IN.has(s.name));
  return { selected, repeat, whole: names.length === 0 };
}

/** The scale tests (vitest's `scale` project), as `npm run test:scale` runs them; whether they passed. */
function scaleTests(): boolean {
  console.log('\n▶ scale: the scale tests (npm run test:scale)');
  const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const run = spawnSync(process.execPath, [vitest, 'run', '--project', 'scale'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, LLM_BATCH_SCALE: '1' },
  });
  return run.status === 0;
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if ('exit' in parsed) {
    (parsed.exit === 0 ? process.stdout : process.stderr).write(`${parsed.text}\n`);
    return parsed.exit;
  }
  const { selected, repeat, whole } = parsed;
  console.log(`llm-batch bench · ${new Date().toISOString().slice(0, 10)} · commit ${revision()} · ${machine()}`);
  console.log(
    `peak RSS via ${RSS_METHOD === 'gnu-time' ? '/usr/bin/time -v (wait4 maxrss)' : RSS_METHOD === 'proc-poll' ? '/proc/<pid>/status VmHWM polled every 50 ms' : 'nothing (unsupported here)'}`,
  );

  const all: ScenarioResult[] = [];
  for (const scenario of selected) {
    for (let i = 1; i <= repeat; i++) {
      const label = repeat > 1 ? `${scenario.name} #${i}` : scenario.name;
      console.log(`\n▶ ${label}: ${scenario.summary}`);
      // Other work on the machine skews the timings; record how busy it was going in.
      const load = os.loadavg()[0]!;
      let result: ScenarioResult;
      try {
        result = await scenario.run();
      } catch (err) {
        result = {
          scenario: scenario.name,
          measures: [{ name: 'ran', value: 'threw', requirement: 'completes', pass: false }],
          notes: [err instanceof Error ? (err.stack ?? err.message) : String(err)],
        };
      }
      result = { ...result, scenario: label, measures: [...result.measures, { name: 'load avg (1 min) at start', value: load.toFixed(2) }] };
      all.push(result);
      console.log(table(HEADER, resultRows([result])));
      for (const note of result.notes) console.log(`  note: ${note.replace(/\n/g, '\n        ')}`);
    }
  }

  const failed = all.filter((r) => !passed(r));
  console.log('\n== all results ==');
  console.log(table(HEADER, resultRows(all)));
  console.log(failed.length ? `\nFAIL: ${failed.map((r) => r.scenario).join(', ')}` : `\nPASS: all ${all.length} scenario run(s)`);
  const scaleOk = whole ? scaleTests() : true;
  return failed.length || !scaleOk ? 1 : 0;
}

process.exitCode = await main();
