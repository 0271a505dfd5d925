import { describe, expect, it } from 'vitest';
import { batchNotices } from '../../src/report-page/batch-notices.js';

describe('the report page on batches it lacks', () => {
  it('batches on the server: pending, and --resume collects them', () => {
    expect(batchNotices({ pendingBatches: 2, unsubmittedBatches: 0, goneBatches: 0 })).toEqual([
      {
        id: 'pending',
        text: "2 batches were still pending on the server when this report was made: it holds the rows collected so far. Run the run's command again with --resume to collect the rest.",
      },
    ]);
  });

  it('a batch never submitted (an upload that failed) is not "pending on the server"', () => {
    expect(batchNotices({ pendingBatches: 0, unsubmittedBatches: 1, goneBatches: 0 })).toEqual([
      {
        id: 'unsubmitted',
        text: "1 batch was built but never submitted (the server has no batch for it): this report lacks its rows. Run the run's command again with --resume to submit it.",
      },
    ]);
    expect(batchNotices({ pendingBatches: 1, unsubmittedBatches: 2, goneBatches: 0 }).map((n) => n.id)).toEqual(['pending', 'unsubmitted']);
  });

  it("a --mock run's batch: gone with its process, and --overwrite, not --resume", () => {
    expect(batchNotices({ pendingBatches: 0, unsubmittedBatches: 0, goneBatches: 1 })).toEqual([
      {
        id: 'gone',
        text: '1 batch of this --mock run was not collected and cannot be: --mock batches live only in the process that made them, so no --resume can collect it. This report holds the rows collected before that process ended; run the command again with --overwrite to start again.',
      },
    ]);
  });

  it('none: no notice', () => {
    expect(batchNotices({ pendingBatches: 0, unsubmittedBatches: 0, goneBatches: 0 })).toEqual([]);
  });
});
