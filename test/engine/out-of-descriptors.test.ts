/**
 * EMFILE when a request opens its socket: a wait while the run's other requests hold descriptors
 * they will give back, a stop (`descriptors`) once none is in flight and the shortage lasts. Before,
 * each prompt waited 200 times (over three minutes) and then failed as a `connection` row.
 */
import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../../src/engine/events.js';
import { runBatch, type BatchOutcome } from '../../src/engine/run-batch.js';
import { createStats } from '../../src/engine/stats.js';
import { AttemptError, type Complete, type CompletionResult } from '../../src/provider/completion.js';
import type { ResultRow } from '../../src/types.js';
import { asyncFrom as from, promptRecord as rec } from '../helpers/collect.js';
import { FakeClock } from '../helpers/fake-clock.js';

const emfile = () => new AttemptError('connection', 'connect EMFILE 127.0.0.1:8080 - Local (undefined:undefined)', { code: 'EMFILE' });
const answer: CompletionResult = { text: 'a', finishReason: 'stop', usage: null, model: 'm', headers: null };

/** Collects the run's rows while the test moves the virtual time on. */
function collect(gen: AsyncGenerator<ResultRow, BatchOutcome, undefined>) {
  const rows: ResultRow[] = [];
  const state: { outcome?: BatchOutcome } = {};
  const done = (async () => {
    for (;;) {
      const step = await gen.next();
      if (step.done) return (state.outcome = step.value);
      rows.push(step.value);
    }
  })();
  return { rows, state, done };
}

/** Moves virtual time on 50 ms a step until the run ends (or `untilMs`), and returns its rows and outcome. */
async function runOn(clock: FakeClock, gen: AsyncGenerator<ResultRow, BatchOutcome, undefined>) {
  const run = collect(gen);
  await advanceWhile(clock, run, 600_000);
  return { rows: run.rows, outcome: await run.done };
}

async function advanceWhile(clock: FakeClock, run: ReturnType<typeof collect>, untilMs: number): Promise<void> {
  while (run.state.outcome === undefined && clock.now() < untilMs) await clock.advance(50);
}

describe('out of file descriptors', () => {
  it('with no request in flight, stops the run after 2 s of it (descriptors): every prompt left for a resume, nothing counted as sent', async () => {
    const clock = new FakeClock();
    const stats = createStats();
    const events: BatchEvent[] = [];
    const complete: Complete = async () => {
      throw emfile();
    };
    const gen = runBatch(from([rec(0), rec(1), rec(2)]), {
      complete,
      model: 'm',
      random: () => 0,
      rpm: 6_000_000,
      concurrency: 2,
      clock,
      stats,
      onEvent: (e) => events.push(e),
    });
    const { rows, outcome } = await runOn(clock, gen);
    expect(outcome).toEqual({ stopped: 'descriptors', message: 'out of file descriptors: connect EMFILE 127.0.0.1:8080 - Local (undefined:undefined)' });
    expect(rows).toEqual([]);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
    expect(clock.now()).toBeLessThan(4000);
    expect(events.filter((e) => e.type === 'stopping')).toEqual([{ type: 'stopping', reason: 'descriptors', message: outcome.message }]);
    expect(stats).toMatchObject({ ok: 0, failed: 0, attemptsCutOff: 0 });
  });

  it('while another request is in flight, waits for its descriptor as long as it takes: no stop, every row answered', async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let shortages = 0;
    const complete: Complete = async (request) => {
      if (request.messages[0]!.content === 'p0') {
        await held;
        return answer;
      }
      // p1 finds no descriptor until p0's answer gives its socket back.
      if (!released) {
        shortages++;
        throw emfile();
      }
      return answer;
    };
    let released = false;
    const gen = runBatch(from([rec(0), rec(1)]), { complete, model: 'm', random: () => 0, rpm: 6_000_000, concurrency: 2, clock });
    const run = collect(gen);
    // 10 s of virtual time of shortage, p0 in flight all along.
    await advanceWhile(clock, run, 10_000);
    expect(run.state.outcome).toBeUndefined();
    released = true;
    release();
    await advanceWhile(clock, run, 600_000);
    const outcome = await run.done;
    const { rows } = run;
    expect(outcome.stopped).toBeUndefined();
    expect(rows.map((r) => [r.id, r.error])).toEqual(
      expect.arrayContaining([
        ['r0', null],
        ['r1', null],
      ]),
    );
    expect(shortages).toBeGreaterThan(5);
  });

  it('a shortage that ends within 2 s (lmdb loading its files) is waited out: no stop', async () => {
    const clock = new FakeClock();
    const complete: Complete = async () => {
      if (clock.now() < 1500) throw emfile();
      return answer;
    };
    const { rows, outcome } = await runOn(
      clock,
      runBatch(from([rec(0), rec(1)]), { complete, model: 'm', random: () => 0, rpm: 6_000_000, concurrency: 2, clock }),
    );
    expect(outcome.stopped).toBeUndefined();
    expect(rows.map((r) => r.error)).toEqual([null, null]);
  });
});
