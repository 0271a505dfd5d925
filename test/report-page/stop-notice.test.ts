import { describe, expect, it } from 'vitest';
import { stopNotice } from '../../src/report-page/stop-notice.js';

const HINT = 'llm-batch p.txt -o out.jsonl -c 2 --resume';

describe('the report page on a run that stopped early', () => {
  it('says how many prompts were not run and the command that finishes them', () => {
    expect(stopNotice({ stopped: 'interrupted', notRun: 28, resumeHint: HINT })).toBe(
      `The run stopped early (interrupted); 28 prompts not run, so not in this report. To finish: ${HINT}`,
    );
    expect(stopNotice({ stopped: 'quota', notRun: 1, resumeHint: null })).toBe('The run stopped early (quota); 1 prompt not run, so not in this report.');
  });

  it('the budget spent, and the words it had when the count is not known (stdin, an older summary)', () => {
    expect(stopNotice({ stopped: 'budget', budget: { capUsd: 0.25, spentUsd: 0.248 }, notRun: null })).toBe(
      'The run stopped early (budget: $0.2480 of the $0.2500 budget spent); rows it did not reach are not in this report.',
    );
    expect(stopNotice({ stopped: 'interrupted' })).toBe('The run stopped early (interrupted); rows it did not reach are not in this report.');
  });

  it('none when every prompt has its row, or the run did not stop', () => {
    expect(stopNotice({ stopped: 'interrupted', notRun: 0, resumeHint: HINT })).toBe('The run stopped early (interrupted), after every prompt had its row.');
    expect(stopNotice({ stopped: null })).toBeNull();
    expect(stopNotice(null)).toBeNull();
  });
});

describe('a resume stopped before it asked earlier failures again', () => {
  it('counts a prompt whose failed row is in the report once: as that row, not as not run', () => {
    expect(stopNotice({ stopped: 'interrupted', notRun: 1, resumeHint: HINT }, 1)).toBe(
      `The run stopped early (interrupted); 1 prompt whose earlier failed row is here not asked again. To finish: ${HINT}`,
    );
    expect(stopNotice({ stopped: 'quota', notRun: 30, resumeHint: HINT }, 2)).toBe(
      `The run stopped early (quota); 28 prompts not run, so not in this report, and 2 prompts whose earlier failed rows are here not asked again. To finish: ${HINT}`,
    );
  });
});
