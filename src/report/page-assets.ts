import { readFileSync } from 'node:fs';

/** The report page's script and styles, bundled with uPlot by `npm run build` (dist/report-page/). */
export interface PageAssets {
  js: string;
  css: string;
}

let cached: PageAssets | undefined;

/**
 * Read from beside the built code: from dist/report/ and from dist/bundle/ (the CLI's esbuild
 * bundle), `../report-page/` is the same folder; from src/report/ (tests), the built one in dist/.
 */
export function loadPageAssets(): PageAssets {
  if (cached) return cached;
  const dirs = [new URL('../report-page/', import.meta.url), new URL('../../dist/report-page/', import.meta.url)];
  for (const dir of dirs) {
    try {
      cached = { js: readFileSync(new URL('app.js', dir), 'utf8'), css: readFileSync(new URL('app.css', dir), 'utf8') };
      return cached;
    } catch {
      // next place
    }
  }
  throw new Error(`the report page is missing from ${dirs[0]!.pathname} (run npm run build)`);
}
