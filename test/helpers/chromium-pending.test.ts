import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { chromiumInstalled } from './chromium-pending.js';

describe('chromiumInstalled', () => {
  it("waits while .ci/run's chromium install is pending (LLM_BATCH_CHROMIUM_PENDING), then resolves", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llm-batch-chromium-pending-'));
    try {
      const pending = path.join(dir, 'chromium-pending');
      fs.writeFileSync(pending, '');
      // Its looks at the marker, counted: it has seen the install pending twice, not merely been given time.
      let looks = 0;
      const exists = (file: fs.PathLike) => {
        if (file === pending) looks++;
        return fs.existsSync(file);
      };
      let done = false;
      const waiting = chromiumInstalled(pending, 5, exists).then(() => (done = true));
      await vi.waitFor(() => expect(looks).toBeGreaterThanOrEqual(2), { timeout: 5000, interval: 5 });
      expect(done, 'resolved while the install was pending').toBe(false);
      fs.rmSync(pending);
      await waiting;
      expect(done).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves at once with no install pending', async () => {
    let looks = 0;
    await chromiumInstalled(undefined, 5, () => {
      looks++;
      return true;
    });
    expect(looks).toBe(0);
  });
});
