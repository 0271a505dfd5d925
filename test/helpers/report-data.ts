import fs from 'node:fs';

/** The data an HTML report carries (its `<script id="report-data">`), read from the report file. */
export function reportDataOf(file: string): any {
  const json = /<script id="report-data" type="application\/json">(.*?)<\/script>/s.exec(fs.readFileSync(file, 'utf8'))?.[1];
  if (json === undefined) throw new Error(`${file}: no report data in it`);
  return JSON.parse(json);
}
