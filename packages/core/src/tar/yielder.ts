/**
 * Cooperative yielding for synchronous work: long loops call `due()` often (it only reads the
 * clock); once YIELD_AFTER_MS of work has passed it yields to the event loop with setImmediate,
 * checks the abort signal, and reports the position to `onYield` (progress). Stalls are bounded by
 * the cost of one step of the loop, whatever the visitor costs per call.
 */
import { performance } from 'node:perf_hooks';
import { throwIfAborted } from '../errors.js';

/** Work between two yields, in ms (well under the 50 ms stall budget; BENCHMARKS.md §6). */
export const YIELD_AFTER_MS = 20;

/*
 * Two immediates, not one: libuv runs timers only after the check phase (poll → check → timers),
 * so work resumed from an I/O callback (poll) that yields with one setImmediate resumes in the
 * same iteration's check phase, and two slices of work run back to back with no timer between
 * them (a 40 ms stall from 20 ms slices, measured). The second immediate runs in the next
 * iteration's check phase, after that iteration's timers and I/O, whichever phase the work
 * resumed in.
 */
const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const yieldToEventLoop = async (): Promise<void> => {
  await immediate();
  await immediate();
};

/** Yields to the event loop after YIELD_AFTER_MS of synchronous work (see the module comment). */
export class Yielder {
  #last = performance.now();
  readonly #signal: AbortSignal | undefined;
  readonly #onYield: ((position: number) => void) | undefined;

  constructor(signal: AbortSignal | undefined, onYield?: ((position: number) => void) | undefined) {
    this.#signal = signal;
    this.#onYield = onYield;
  }

  /** True when a yield is due (cheap: one clock read). */
  due(): boolean {
    return performance.now() - this.#last >= YIELD_AFTER_MS;
  }

  /**
   * Reports `position`, yields, then checks the signal. Callers test `due()` first
   * (`if (y.due()) await y.yield(pos)`), so the hot path costs no promise.
   */
  async yield(position: number): Promise<void> {
    this.#onYield?.(position);
    await yieldToEventLoop();
    throwIfAborted(this.#signal);
    this.#last = performance.now();
  }
}
