import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDiveObserver, type DiveMetrics } from './dive.js';
import { EntryTable } from './entry-table.js';
import type { LayerScan, ScannedEntry } from './model.js';
import { applyOverlay, classifyWhiteout, lookupNode, nodesBelow } from './overlay.js';
import { runSteps } from './steps.js';

const f = (path: string, size: number): ScannedEntry => ({ path, type: 'file', size, mode: 0o644 });
const d = (path: string): ScannedEntry => ({ path, type: 'dir', size: 0, mode: 0o755 });

function scans(layers: ScannedEntry[][]): LayerScan[] {
  return layers.map((l) => ({
    entries: EntryTable.from(l),
    tarBytes: 0,
    contentBytes: l.reduce((s, e) => s + e.size, 0),
    captured: [],
    warnings: [],
  }));
}

function dive(layers: ScannedEntry[][], hash?: Parameters<typeof createDiveObserver>[1]): DiveMetrics {
  const s = scans(layers);
  const d = createDiveObserver(s, hash);
  applyOverlay(
    s.map((x) => x.entries),
    d.observer,
  );
  return runSteps(d.finish());
}

/**
 * dive's algorithm as it reads (filetree/efficiency.go), one path string per leaf: each layer's
 * own tree minus its non-leaves, a directory whiteout sized against the lower layers, every path
 * seen counted, the later of two entries of one layer winning.
 */
function reference(layers: ScannedEntry[][]): Pick<DiveMetrics, 'efficiency' | 'inefficientFiles'> {
  const data = new Map<string, { cumulative: number; min: number; count: number }>();
  layers.forEach((entries, li) => {
    const lower = applyOverlay(layers.slice(0, li)).root;
    const leaves = new Map<string, number | { target: string }>();
    const parents = new Set<string>();
    for (const e of entries) {
      const path = e.path.replace(/^\/+|^\.\//g, '');
      if (path === '') continue;
      const w = classifyWhiteout(path);
      if (w.kind === 'opaque') continue;
      for (let j = path.lastIndexOf('/'); j > 0; j = path.lastIndexOf('/', j - 1)) parents.add(path.slice(0, j));
      if (w.kind === 'whiteout') leaves.set(w.target, { target: w.target });
      else leaves.set(path, e.size);
    }
    for (const p of parents) leaves.delete(p);
    for (const [path, leaf] of leaves) {
      let size: number;
      if (typeof leaf === 'number') size = leaf;
      else {
        const n = lookupNode(lower, leaf.target);
        size = n && n.children !== undefined ? nodesBelow(n).reduce((s, x) => s + x.entrySize, 0) : 0;
      }
      const got = data.get(path);
      if (!got) data.set(path, { cumulative: size, min: size, count: 1 });
      else {
        got.cumulative += size;
        got.min = Math.min(got.min, size);
        got.count++;
      }
    }
  });
  let minSum = 0;
  let cumSum = 0;
  const inefficientFiles = [];
  for (const [path, x] of data) {
    minSum += x.min;
    cumSum += x.cumulative;
    if (x.count > 1) inefficientFiles.push({ path: `/${path}`, count: x.count, cumulativeBytes: x.cumulative });
  }
  inefficientFiles.sort((a, b) => b.cumulativeBytes - a.cumulativeBytes || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { efficiency: cumSum === 0 ? 1 : minSum / cumSum, inefficientFiles };
}

/** The parts of dive's metrics the per-path records decide. */
const decided = (m: DiveMetrics): Pick<DiveMetrics, 'efficiency' | 'inefficientFiles'> => ({ efficiency: m.efficiency, inefficientFiles: m.inefficientFiles });

describe('dive metrics (hashed first pass, exact pass over candidates)', () => {
  it('counts a path of two layers, and the later of two entries of one layer only once', () => {
    const m = dive([
      [d('etc'), f('etc/a', 10), f('etc/b', 5)],
      [f('etc/a', 4), f('etc/c', 7), f('etc/c', 9)],
    ]);
    expect(m.inefficientFiles).toEqual([{ path: '/etc/a', count: 2, cumulativeBytes: 14 }]);
    // etc/c counts once, at 9: min sum 4 + 5 + 9, cumulative sum 14 + 5 + 9
    expect(m.efficiency).toBeCloseTo(18 / 28, 12);
  });

  it('sizes a directory whiteout against the lower layers', () => {
    const m = dive([[d('opt'), f('opt/x', 100), f('opt/y', 20)], [f('.wh.opt', 0)]]);
    expect(m.inefficientFiles).toEqual([]);
    expect(m.wastedBytes).toBe(0);
    expect(decided(m)).toEqual(reference([[d('opt'), f('opt/x', 100), f('opt/y', 20)], [f('.wh.opt', 0)]]));
  });

  // Paths from a small alphabet, so layers repeat, nest, replace and delete each other's paths.
  const seg = fc.constantFrom('a', 'b', 'ab', 'usr', 'lib');
  const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
  const entry = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(path, fc.nat(1000)).map(([p, n]) => f(p, n)) },
    { weight: 2, arbitrary: path.map((p) => d(p)) },
    { weight: 1, arbitrary: path.map((p) => f(`${p.split('/').slice(0, -1).join('/')}/.wh.${p.split('/').at(-1)}`.replace(/^\//, ''), 0)) },
    { weight: 1, arbitrary: path.map((p) => f(`${p}/.wh..wh..opq`, 0)) },
  );
  const layers = fc.array(fc.array(entry, { maxLength: 30 }), { minLength: 1, maxLength: 4 });

  it('equals dive as it reads, on random layers', () => {
    fc.assert(
      fc.property(layers, (ls) => {
        const m = dive(ls);
        expect(decided(m)).toEqual(reference(ls));
        expect(m.wastedBytes).toBe(m.inefficientFiles.reduce((s, x) => s + x.cumulativeBytes, 0));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same numbers when every path hash collides (collisions cost time, never numbers)', () => {
    fc.assert(
      fc.property(layers, (ls) => {
        expect(dive(ls, () => [7, 7])).toEqual(dive(ls));
      }),
      { numRuns: 200 },
    );
  });
});
