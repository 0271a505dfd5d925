import { InvalidArgumentError } from 'commander';
import { parseShard } from '../input/shard.js';

/** Flag value parsers: each error says what was expected; commander adds the flag and the value. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('Expected a whole number greater than 0.');
  return n;
}

export function wholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('Expected a whole number (0 or more).');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('Expected a number greater than 0.');
  return n;
}

export function temperature(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 2) throw new InvalidArgumentError('Expected a number from 0 to 2.');
  return n;
}

export function httpUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // fall through
  }
  throw new InvalidArgumentError('Expected an http:// or https:// URL, e.g. http://localhost:11434/v1.');
}

export function shard(value: string): { index: number; count: number } {
  try {
    return parseShard(value);
  } catch (err) {
    throw new InvalidArgumentError(`${(err as Error).message}.`);
  }
}
