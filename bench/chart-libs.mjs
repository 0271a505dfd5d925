// Compares chart libraries for the HTML report: bundled size (minified, gzip) and time to draw a
// 100,000-point line plus a histogram in headless Debian chromium. The comparison chose uPlot, so
// the other two are no devDependencies (every `npm ci` would fetch them and ~40 packages of theirs):
// `npm i --no-save @observablehq/plot chart.js && node bench/chart-libs.mjs`.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));

const missing = ['@observablehq/plot', 'chart.js'].filter((name) => {
  try {
    import.meta.resolve(name);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) {
  console.error(`bench/chart-libs.mjs: ${missing.join(' and ')} not installed: run \`npm i --no-save @observablehq/plot chart.js\` first`);
  process.exit(1);
}
const N = 100_000;
const RUNS = 3;
const libs = { uPlot: 'uplot.js', 'Chart.js': 'chartjs.js', 'Observable Plot': 'plot.js' };

async function bundle(entry) {
  const out = await build({
    entryPoints: [join(here, 'chart-libs', entry)],
    bundle: true,
    minify: true,
    format: 'iife',
    globalName: 'Lib',
    write: false,
    outdir: 'out',
    loader: { '.css': 'css' },
    logLevel: 'silent',
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('.js')).text;
  const css = out.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  return { js, css };
}

function page({ js, css }) {
  return `<!doctype html><meta charset="utf-8"><style>${css}</style><div id="el"></div><script>${js}</script><script>
    const t0 = performance.now();
    const xs = new Float64Array(${N}), ys = new Float64Array(${N});
    for (let i = 0; i < ${N}; i++) { xs[i] = i; ys[i] = 200 + 100 * Math.sin(i / 500) + (i * 7919 % 97); }
    const binX = Float64Array.from({ length: 40 }, (_, i) => i), binY = Float64Array.from({ length: 40 }, (_, i) => (i * 37) % 23);
    Lib.draw(document.getElementById('el'), xs, ys, binX, binY);
    requestAnimationFrame(() => requestAnimationFrame(() => { window.drawnMs = performance.now() - t0; }));
  </script>`;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'chart-bench-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
console.log(`${new Date().toISOString()} load ${loadavg()[0].toFixed(2)}; ${N.toLocaleString('en')} points + 40 bins, ${RUNS} runs, median`);
console.log('| library | min JS+CSS | gzip | draw (median) | runs |');
console.log('|---|---:|---:|---:|---|');
for (const [name, entry] of Object.entries(libs)) {
  const b = await bundle(entry);
  const size = Buffer.byteLength(b.js) + Buffer.byteLength(b.css);
  const gz = gzipSync(b.js + b.css).length;
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await browser.newPage();
    const errors = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.setContent(page(b));
    await p.waitForFunction(() => window.drawnMs !== undefined, null, { timeout: 60_000 });
    if (errors.length) throw new Error(`${name}: ${errors.join('; ')}`);
    times.push(await p.evaluate(() => window.drawnMs));
    await p.close();
  }
  times.sort((a, b) => a - b);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`| ${name} | ${kb(size)} | ${kb(gz)} | ${Math.round(times[1])} ms | ${times.map(Math.round).join(', ')} |`);
}
await browser.close();
rmSync(userDataDir, { recursive: true, force: true });
