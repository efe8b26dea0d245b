/**
 * Human byte sizes for budgets and `.dive-ci` files. Same grammar as go-humanize's `ParseBytes`
 * (which dive uses for `highestWastedBytes`): a number, optional spaces, an optional unit, case
 * ignored. Decimal units are powers of 1000 (`kB`, `MB`, `GB`; `k`, `M`, `G`), binary units powers
 * of 1024 (`KiB`, `MiB`, `GiB`; `Ki`, `Mi`, `Gi`). A bare number is bytes. See docs/BUDGETS.md.
 */
import { ImgsizeError } from './errors.js';

const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15, e: 1e18 };
const BINARY: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50, e: 2 ** 60 };

/** Returns the multiplier of a unit ("", "b", "kb", "k", "kib", "ki", ...; lowercase), or undefined. */
function unitMultiplier(unit: string): number | undefined {
  if (unit === '' || unit === 'b') return 1;
  const m = /^([kmgtpe])(i?)(b?)$/.exec(unit);
  if (!m) return undefined;
  return (m[2] === 'i' ? BINARY : DECIMAL)[m[1]!];
}

/**
 * Returns the byte count of a human size (`"1.5GB"`, `"200MiB"`, `"50 mb"`, `"1,000"`, `1024`),
 * truncated to whole bytes like go-humanize; throws E_BAD_CONFIG for anything else.
 */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw badSize(String(input));
    return Math.floor(input);
  }
  const m = /^\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) throw badSize(input);
  const value = Number(m[1]!.replace(/,/g, ''));
  const mult = unitMultiplier(m[2]!.toLowerCase());
  if (mult === undefined || !Number.isFinite(value)) throw badSize(input);
  const bytes = Math.floor(value * mult);
  if (!Number.isSafeInteger(bytes)) throw badSize(input, 'too large');
  return bytes;
}

/** Like parseSize but returns undefined instead of throwing. */
export function tryParseSize(input: string | number): number | undefined {
  try {
    return parseSize(input);
  } catch {
    return undefined;
  }
}

function badSize(s: string, why = 'not a size'): ImgsizeError {
  return new ImgsizeError('E_BAD_CONFIG', `size "${s}" is ${why}`, {
    hint: 'write bytes as a number or with a unit: 50MB, 1.5GB (powers of 1000), 200MiB (powers of 1024)',
  });
}
