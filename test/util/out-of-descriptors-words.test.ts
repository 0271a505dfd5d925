import { describe, expect, it } from 'vitest';
import { noDescriptorsStopLine } from '../../src/cli/too-few-files.js';
import { outOfDescriptors } from '../../src/util/path-words.js';

describe('what EMFILE advises, by the limit in force', () => {
  it.each([
    [24, 'out of file descriptors: ulimit -n is 24; raise it to 64 or more'],
    [undefined, 'out of file descriptors (ulimit -n); raise the limit to 64 or more'],
    // The process's own files and sockets hold them all: a limit it has is no advice.
    [64, 'out of file descriptors: all 64 that ulimit -n allows are open; a lower -c, or a higher limit, leaves some free'],
  ])('a file that cannot be opened under %s', (limit, said) => {
    expect(outOfDescriptors(limit)).toBe(said);
  });

  it.each([
    [
      23,
      'out of file descriptors: this process may open only 23 files (ulimit -n): none was left for a request; raise the limit (ulimit -n 64) to send the rest',
    ],
    [20_000, 'out of file descriptors: all 20000 that ulimit -n allows are open, and none was left for a request; a higher limit lets it send the rest'],
  ])('the descriptors stop under %s', (limit, said) => {
    expect(noDescriptorsStopLine(limit)).toBe(said);
  });
});
