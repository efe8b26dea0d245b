/**
 * Synchronous work in steps. The report stages (overlay, dive, attribution, findings, file list)
 * are generators that `yield` at pause points inside their loops; `runSteps` drains one at once
 * (the pure, synchronous `buildReport`), `driveSteps` lets the event loop run whenever
 * YIELD_AFTER_MS of work has passed (`analyzeImage`: no stall over 50 ms, abort and progress
 * honoured mid-stage; BENCHMARKS.md §6). A pause point costs one generator resume, so loops pause
 * every STEP_EVERY iterations and the driver decides by the clock whether to really yield.
 */
import type { Yielder } from './tar/yielder.js';

/** A computation that may pause between steps and finally returns T. */
export type Steps<T> = Generator<void, T, void>;

/** Loop iterations between two pause points (mask: `(i & STEP_MASK) === 0`). */
export const STEP_MASK = 511;

/** Runs `steps` to the end without ever pausing. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * Runs `steps`, yielding to the event loop (and checking the yielder's abort signal, reporting
 * progress) whenever the yielder says one is due.
 */
export async function driveSteps<T>(steps: Steps<T>, yielder: Yielder): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (yielder.due()) await yielder.yield(0);
  }
}

/**
 * The first `n` of `items` in `compare` order (a stable partial sort: equal items keep their
 * input order), in steps. O(items × log n) and n items of memory, instead of sorting a copy of all.
 */
export function* topSteps<T>(items: Iterable<T>, n: number, compare: (a: T, b: T) => number): Steps<T[]> {
  const best: T[] = [];
  if (n <= 0) return best;
  let i = 0;
  for (const item of items) {
    if ((++i & STEP_MASK) === 0) yield;
    if (best.length === n && compare(item, best[n - 1]!) >= 0) continue;
    // binary search for the first element that `item` sorts strictly before
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(item, best[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    best.splice(lo, 0, item);
    if (best.length > n) best.pop();
  }
  return best;
}

/**
 * Sorts `items` in place in steps: a stable bottom-up merge sort (the same order as
 * `Array.prototype.sort` with the same comparator, which is stable too), pausing every few hundred
 * comparisons. Arrays of up to 64 items are sorted at once.
 */
export function* sortSteps<T>(items: T[], compare: (a: T, b: T) => number): Steps<T[]> {
  const n = items.length;
  if (n <= 64) return items.sort(compare);
  // Runs of 32 sorted directly, then merged pairwise.
  const RUN = 32;
  for (let s = 0; s < n; s += RUN) {
    const run = items.slice(s, Math.min(n, s + RUN)).sort(compare);
    for (let k = 0; k < run.length; k++) items[s + k] = run[k]!;
    if (((s / RUN) & 15) === 15) yield;
  }
  let src = items;
  let dst: T[] = new Array<T>(n);
  let work = 0;
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if ((++work & STEP_MASK) === 0) yield;
        dst[k++] = compare(src[j]!, src[i]!) < 0 ? src[j++]! : src[i++]!;
      }
      while (i < mid) dst[k++] = src[i++]!;
      while (j < hi) dst[k++] = src[j++]!;
    }
    [src, dst] = [dst, src];
  }
  if (src !== items) for (let k = 0; k < n; k++) items[k] = src[k]!;
  return items;
}
