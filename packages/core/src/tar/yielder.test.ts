import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Yielder } from './yielder.js';

const busy = (ms: number): void => {
  const t = performance.now();
  while (performance.now() - t < ms);
};

describe('Yielder', () => {
  // libuv runs timers after the check phase: work resumed from an I/O callback that yielded with
  // a single setImmediate ran its next slice before any timer (two slices back to back: the 40 ms
  // load stalls of BENCHMARKS.md §6). A yield must let every due timer run, whatever the phase.
  it('lets due timers run at every yield, also when the work resumed from an I/O callback', async () => {
    const fh = await open(fileURLToPath(import.meta.url));
    try {
      const y = new Yielder(undefined);
      let missed = 0;
      for (let i = 0; i < 20; i++) {
        await fh.read(Buffer.alloc(16), 0, 16, 0); // resume in the poll phase
        let fired = false;
        setTimeout(() => (fired = true), 1);
        busy(3); // the timer is due
        await y.yield(0);
        if (!fired) missed++;
      }
      expect(missed).toBe(0);
    } finally {
      await fh.close();
    }
  });

  it('checks the signal after yielding', async () => {
    const ac = new AbortController();
    const y = new Yielder(ac.signal);
    ac.abort();
    await expect(y.yield(0)).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('reports the position on each yield and is due only after its time slice', async () => {
    const seen: number[] = [];
    const y = new Yielder(undefined, (p) => seen.push(p));
    await y.yield(7);
    expect(y.due()).toBe(false);
    busy(25);
    expect(y.due()).toBe(true);
    await y.yield(9);
    expect(seen).toEqual([7, 9]);
  });
});
