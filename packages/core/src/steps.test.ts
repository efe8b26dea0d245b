import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { driveSteps, runSteps, sortSteps, topSteps, type Steps } from './steps.js';
import { Yielder } from './tar/yielder.js';

const byKey = (a: [number, number], b: [number, number]): number => a[0] - b[0];
const pairs = fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.nat()), { maxLength: 3000 });

describe('steps', () => {
  it('sortSteps gives exactly the stable order Array.prototype.sort gives', () => {
    fc.assert(
      fc.property(pairs, (items) => {
        const want = [...items].sort(byKey);
        const got = runSteps(sortSteps([...items], byKey));
        expect(got).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('topSteps is the first n of the stable sort', () => {
    fc.assert(
      fc.property(pairs, fc.integer({ min: 0, max: 40 }), (items, n) => {
        expect(runSteps(topSteps(items, n, byKey))).toEqual([...items].sort(byKey).slice(0, n));
      }),
      { numRuns: 200 },
    );
  });

  /** ~`ms` of busy work in steps of ~0.1 ms. */
  function* busy(ms: number): Steps<number> {
    const end = performance.now() + ms;
    let n = 0;
    while (performance.now() < end) {
      const stop = performance.now() + 0.1;
      while (performance.now() < stop) n++;
      yield;
    }
    return n;
  }

  it('driveSteps lets timers run during a long computation', async () => {
    let ticks = 0;
    const iv = setInterval(() => ticks++, 1);
    try {
      await driveSteps(busy(300), new Yielder(undefined));
    } finally {
      clearInterval(iv);
    }
    // runSteps would let none run; 300 ms of work yields every ~20 ms.
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  it('driveSteps ends with E_ABORTED once the signal is aborted, without finishing the work', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = performance.now();
    await expect(driveSteps(busy(5000), new Yielder(ac.signal))).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(performance.now() - t0).toBeLessThan(4000);
  });
});
