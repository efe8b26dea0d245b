/** Helpers both walkers use around the visitor contract. */

import { ImgsizeError } from '../errors.js';
import type { ByteRange } from './types.js';

const NONE: readonly ByteRange[] = [];

/** True for promises and other thenables (the visitor may return either). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  // Arrays (the usual answer of `entry`) are ruled out by instance type, whatever their elements
  // kind: reading `.then` off each array map made this check polymorphic in the walkers' loops.
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  return typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Validates the ranges a visitor returned for the entry `name` with a payload of `size` bytes
 * (sorted, non-overlapping, integral, within [0, size)) and drops empty ones. Throws E_INTERNAL
 * for a visitor bug. `size` is passed separately: the visitor may have modified its header object.
 */
export function checkRanges(
  ranges: readonly ByteRange[] | null | undefined,
  name: string,
  size: number,
): readonly ByteRange[] {
  if (ranges === null || ranges === undefined || ranges.length === 0) return NONE;
  let prev = 0;
  let empties = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    const a = r[0];
    const b = r[1];
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || a < prev || b < a || b > size) {
      throw new ImgsizeError(
        'E_INTERNAL',
        `tar entry ${JSON.stringify(name)}: visitor returned an invalid byte range [${a}, ${b}) for a payload of ${size} bytes`,
      );
    }
    if (a === b) empties++;
    prev = b;
  }
  return empties === 0 ? ranges : ranges.filter((r) => r[0] !== r[1]);
}
