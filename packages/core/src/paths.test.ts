import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cleanPath } from './paths.js';

/** The definition, segment by segment (cleanPath skips this work for names that are clean already). */
function bySegments(raw: string): string {
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

describe('cleanPath', () => {
  it('cleans the usual tar spellings', () => {
    expect(cleanPath('usr/lib/x.so')).toBe('usr/lib/x.so');
    expect(cleanPath('usr/lib/')).toBe('usr/lib');
    expect(cleanPath('./usr/lib/')).toBe('usr/lib');
    expect(cleanPath('/etc//passwd')).toBe('etc/passwd');
    expect(cleanPath('a/./b/../c')).toBe('a/c');
    expect(cleanPath('../../etc')).toBe('etc');
    expect(cleanPath('a/..b/.c/...')).toBe('a/..b/.c/...');
    for (const root of ['', '/', '.', './', '..', '../', '//']) expect(cleanPath(root)).toBe('');
  });

  it('equals the segment-by-segment definition on any name', () => {
    const name = fc.array(fc.constantFrom('a', 'bc', '.', '..', '...', '/', '//', '.a', 'é'), { maxLength: 12 }).map((xs) => xs.join(''));
    fc.assert(
      fc.property(name, (raw) => {
        expect(cleanPath(raw)).toBe(bySegments(raw));
      }),
      { numRuns: 5000 },
    );
  });
});
