import { readFileSync } from 'node:fs';

/** The report page's script and styles, bundled with uPlot by `npm run build` (dist/report-page/). */
export interface PageAssets {
  js: string;
  css: string;
}

let cached: PageAssets | undefined;

/**
 * Read from beside the built code: from dist/report/ and from dist/bundle/ (the CLI's esbuild
 * bundle), `../report-page/` is the same folder.
 */
export function loadPageAssets(): PageAssets {
  if (cached) return cached;
  const dir = new URL('../report-page/', import.meta.url);
  try {
    cached = { js: readFileSync(new URL('app.js', dir), 'utf8'), css: readFileSync(new URL('app.css', dir), 'utf8') };
  } catch (err) {
    throw new Error(`the report page is missing from ${dir.pathname} (run npm run build): ${(err as Error).message}`);
  }
  return cached;
}
