import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { maxHeaderSize } from '../../src/util/node-http.js';

describe('maxHeaderSize', () => {
  it("is node:http's own in this process", () => {
    expect(maxHeaderSize()).toBe(http.maxHeaderSize);
  });

  it('reads --max-http-header-size from NODE_OPTIONS and the command line, the command line winning', () => {
    expect(maxHeaderSize([], '')).toBe(16384);
    expect(maxHeaderSize([], '--max-http-header-size=32768')).toBe(32768);
    expect(maxHeaderSize([], '--require x.cjs  --max-http-header-size 65536')).toBe(65536);
    expect(maxHeaderSize(['--max-http-header-size=8192'], '--max-http-header-size=32768')).toBe(8192);
    expect(maxHeaderSize(['--max-http-header-size=nope'], '')).toBe(16384);
  });
});
