import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryTable } from './entry-table.js';
import type { ScannedEntry } from './model.js';
import type { TarEntryType } from './tar/types.js';

describe('EntryTable', () => {
  it('gives back every field of every entry, in order, past many growths', () => {
    const types: TarEntryType[] = ['file', 'dir', 'symlink', 'hardlink', 'char', 'block', 'fifo', 'other'];
    const entries: ScannedEntry[] = [];
    for (let i = 0; i < 5000; i++) {
      const type = types[i % types.length]!;
      entries.push({
        path: i === 0 ? '' : `opt/conda/pkgs/p${i % 37}/d${i % 5}/file-with-a-long-name-${i}.py`,
        type,
        size: type === 'file' ? i * 1000 + 1 : 0,
        mode: 0o100000 | (i % 0o7777),
        linkTarget: type === 'symlink' || type === 'hardlink' ? `target/${i}` : undefined,
        csize: i % 3 === 0 ? i / 7 : undefined,
      });
    }
    const t = EntryTable.from(entries);
    expect(t.length).toBe(5000);
    expect(t.toArray()).toEqual(entries);
    expect(t.at(0).path).toBe('');
    expect(t.dir(1)).toBe('opt/conda/pkgs/p1/d1');
    expect(t.name(1)).toBe('file-with-a-long-name-1.py');
    // 37 × 5 distinct directories (and the root) are interned, not one string per entry
    expect(t.dirs.length).toBe(37 * 5 + 1);
    expect(t.map((e) => e.path)).toEqual(entries.map((e) => e.path));
    expect(t.filter((e) => e.type === 'fifo')).toHaveLength(625);
    expect(t.find((e) => e.linkTarget === 'target/3')?.type).toBe('hardlink');
    expect(t.some((e) => e.size === 4001)).toBe(false);
  });

  it('takes csize after sealing; NaN means not estimated', () => {
    const t = EntryTable.from([
      { path: 'a', type: 'file', size: 3, mode: 0 },
      { path: 'b', type: 'file', size: 4, mode: 0, csize: 0 },
    ]);
    expect(t.csize(0)).toBeUndefined();
    expect(t.csize(1)).toBe(0);
    t.setCsize(0, 2.5);
    expect(t.at(0).csize).toBe(2.5);
  });

  it('keeps any clean path (unicode, long components, a lone surrogate) as given', () => {
    // push() takes clean paths (paths.ts): segments are non-empty, without '/', and not '.' or '..'
    const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => !s.includes('/') && s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(fc.array(segment, { minLength: 1, maxLength: 5 }), { maxLength: 50 }), (paths) => {
        const entries = paths.map((segs): ScannedEntry => ({ path: segs.join('/'), type: 'file', size: 1, mode: 0 }));
        entries.push({ path: `x/\ud800${'y'.repeat(20)}`, type: 'file', size: 1, mode: 0 });
        expect(EntryTable.from(entries).map((e) => e.path)).toEqual(entries.map((e) => e.path));
      }),
      { numRuns: 200 },
    );
  });
});
