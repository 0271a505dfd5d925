import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in `fixtures/`. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
}

/** Non-blank lines of a fixture file. */
export function fixtureLines(name: string): string[] {
  return fs
    .readFileSync(fixture(name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}
