import { describe, expect, it } from 'vitest';
import { isImgsizeError } from './errors.js';
import { parseSize, tryParseSize } from './sizes.js';

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['1024', 1024],
    [1024, 1024],
    ['50MB', 50_000_000],
    ['50 mb', 50_000_000],
    ['50M', 50_000_000],
    ['1.5GB', 1_500_000_000],
    ['1.5G', 1_500_000_000],
    ['20kB', 20_000],
    ['20KB', 20_000],
    ['50kB', 50_000],
    ['1B', 1],
    ['200MiB', 200 * 2 ** 20],
    ['200mi', 200 * 2 ** 20],
    ['1KiB', 1024],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['2TB', 2e12],
    ['1,000', 1000],
    ['  7 B ', 7],
    ['.5kB', 500],
    ['1.0005kB', 1000],
  ] as const)('%s = %d bytes', (s, n) => {
    expect(parseSize(s)).toBe(n);
  });

  it.each(['', 'MB', '-1', '-1MB', '1BB', '5 MBs', '1e3', 'abc', '1.2.3GB', '1 GB extra', 'NaN'])('rejects %j with E_BAD_CONFIG', (s) => {
    let err: unknown;
    try {
      parseSize(s);
    } catch (e) {
      err = e;
    }
    expect(isImgsizeError(err, 'E_BAD_CONFIG')).toBe(true);
    expect(tryParseSize(s)).toBeUndefined();
  });

  it('rejects negative and non-finite numbers', () => {
    expect(tryParseSize(-1)).toBeUndefined();
    expect(tryParseSize(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(tryParseSize('99999999EB')).toBeUndefined();
  });
});
