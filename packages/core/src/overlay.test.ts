import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScannedEntry } from './model.js';
import { EntryTable } from './entry-table.js';
import { applyOverlay, classifyWhiteout, lookupNode, nodePath, nodesBelow, overlaySteps, resolveNode } from './overlay.js';
import { runSteps } from './steps.js';
import { cleanPath } from './paths.js';

const f = (path: string, size: number): ScannedEntry => ({ path: cleanPath(path), type: 'file', size, mode: 0o644 });
const d = (path: string): ScannedEntry => ({ path: cleanPath(path), type: 'dir', size: 0, mode: 0o755 });
const l = (path: string, target: string): ScannedEntry => ({ path: cleanPath(path), type: 'symlink', size: 0, linkTarget: target, mode: 0o777 });
const h = (path: string, target: string): ScannedEntry => ({ path: cleanPath(path), type: 'hardlink', size: 0, linkTarget: target, mode: 0o644 });

/** Invariant every overlay result must satisfy: shipped = visible + overwritten + deleted. */
function expectBalanced(r: ReturnType<typeof applyOverlay>): void {
  expect(r.visibleBytes + r.overwrittenBytes + r.deletedBytes).toBe(r.shippedBytes);
  const perLayer = r.layers.reduce((s, x) => s + x.visibleBytes + x.hiddenBytes, 0);
  expect(perLayer).toBe(r.shippedBytes);
}

describe('classifyWhiteout', () => {
  it('recognises whiteouts and opaque markers', () => {
    expect(classifyWhiteout('a/b/.wh.c')).toEqual({ kind: 'whiteout', target: 'a/b/c' });
    expect(classifyWhiteout('.wh.top')).toEqual({ kind: 'whiteout', target: 'top' });
    expect(classifyWhiteout('a/.wh..wh..opq')).toEqual({ kind: 'opaque', dir: 'a' });
    expect(classifyWhiteout('a/b.wh.c')).toEqual({ kind: 'entry' });
  });
});

describe('applyOverlay', () => {
  it('counts an overwritten file as waste of the lower layer, hidden by the upper one', () => {
    const r = applyOverlay([[d('etc'), f('etc/big', 100)], [f('etc/big', 30)]]);
    expect(r.visibleBytes).toBe(30);
    expect(r.overwrittenBytes).toBe(100);
    expect(r.hidden).toEqual([{ path: 'etc/big', size: 100, layer: 0, hiddenBy: 1, reason: 'overwritten', csize: undefined }]);
    expectBalanced(r);
  });

  it('whiteout of a directory deletes everything below it', () => {
    const r = applyOverlay([[d('var/lib/apt/lists'), f('var/lib/apt/lists/a', 10), f('var/lib/apt/lists/sub/b', 20)], [f('var/lib/apt/.wh.lists', 0)]]);
    expect(r.deletedBytes).toBe(30);
    expect(r.visibleBytes).toBe(0);
    expect(lookupNode(r.root, 'var/lib/apt/lists')).toBeUndefined();
    expect(r.layers[1]!.hidBytes).toBe(30);
    expectBalanced(r);
  });

  it('opaque directory hides lower children but keeps the same layer’s entries', () => {
    const r = applyOverlay([
      [f('app/old1', 5), f('app/old2', 7), f('keep', 1)],
      // the marker comes AFTER the new file in the tar: order within a layer must not matter
      [f('app/new', 3), f('app/.wh..wh..opq', 0)],
    ]);
    expect(r.visible.map((v) => v.path)).toEqual(['app/new', 'keep']);
    expect(r.deletedBytes).toBe(12);
    expectBalanced(r);
  });

  it('a whiteout never hides an entry of its own layer', () => {
    const r = applyOverlay([[f('x', 4)], [f('x', 9), f('.wh.x', 0)]]);
    expect(r.visible.map((v) => [v.path, v.size])).toEqual([['x', 9]]);
    expect(r.hidden).toHaveLength(1);
    expect(r.hidden[0]).toMatchObject({ reason: 'deleted', size: 4 });
    expectBalanced(r);
  });

  it('a file replacing a directory hides the directory’s contents', () => {
    const r = applyOverlay([[d('opt/tool'), f('opt/tool/bin', 50), f('opt/tool/lib/x', 25)], [f('opt/tool', 2)]]);
    expect(r.visible.map((v) => v.path)).toEqual(['opt/tool']);
    expect(r.overwrittenBytes).toBe(75);
    expectBalanced(r);
  });

  it('a directory replacing a file hides the file', () => {
    const r = applyOverlay([[f('data', 8)], [d('data'), f('data/x', 1)]]);
    expect(r.overwrittenBytes).toBe(8);
    expect(r.visibleBytes).toBe(1);
    expectBalanced(r);
  });

  it('re-adding a deleted path makes the new bytes visible and keeps the old as waste', () => {
    const r = applyOverlay([[f('cfg', 10)], [f('.wh.cfg', 0)], [f('cfg', 6)]]);
    expect(r.visible.map((v) => [v.path, v.size, v.layer])).toEqual([['cfg', 6, 2]]);
    expect(r.deletedBytes).toBe(10);
    expectBalanced(r);
  });

  it('directories merge across layers', () => {
    const r = applyOverlay([[d('usr'), f('usr/a', 1)], [d('usr'), f('usr/b', 2)]]);
    expect(r.visible.map((v) => v.path)).toEqual(['usr/a', 'usr/b']);
    expect(r.hidden).toHaveLength(0);
  });

  it('hardlinks carry no bytes', () => {
    const r = applyOverlay([[f('bin/busybox', 1000), h('bin/sh', 'bin/busybox'), h('bin/ls', 'bin/busybox')]]);
    expect(r.shippedBytes).toBe(1000);
    expect(r.visibleBytes).toBe(1000);
  });

  it('a visible hardlink keeps its deleted target’s bytes visible (conda pkgs/ removed in a later layer)', () => {
    const r = applyOverlay([
      [f('opt/conda/pkgs/x/lib.so', 100), h('opt/conda/envs/a/lib.so', 'opt/conda/pkgs/x/lib.so'), f('opt/conda/pkgs/x/info.json', 7)],
      [f('opt/conda/.wh.pkgs', 0)],
    ]);
    expect(r.visibleBytes).toBe(100);
    expect(r.deletedBytes).toBe(7);
    expect(r.visible.map((v) => [v.path, v.size])).toEqual([['opt/conda/envs/a/lib.so', 100]]);
    expect(r.layers[1]!.hidBytes).toBe(7);
    expectBalanced(r);
  });

  it('a hardlink that is itself deleted rescues nothing', () => {
    const r = applyOverlay([[f('a/data', 50), h('b/link', 'a/data')], [f('.wh.a', 0), f('.wh.b', 0)]]);
    expect(r.visibleBytes).toBe(0);
    expect(r.deletedBytes).toBe(50);
    expectBalanced(r);
  });

  it('the same path twice in one layer: the later entry wins, the earlier one is overwritten waste', () => {
    const r = applyOverlay([[f('a', 3), f('a', 5)]]);
    expect(r.visibleBytes).toBe(5);
    expect(r.hidden).toEqual([{ path: 'a', size: 3, layer: 0, hiddenBy: 0, reason: 'overwritten', csize: undefined }]);
    expectBalanced(r);
  });

  it('./-prefixed and /-prefixed names land on the same path', () => {
    const r = applyOverlay([[f('./etc/x', 3)], [f('/etc/x', 4)], [f('etc//x', 5)]]);
    expect(r.visible).toHaveLength(1);
    expect(r.overwrittenBytes).toBe(7);
  });

  it('whiteout of a path that does not exist is harmless', () => {
    const r = applyOverlay([[f('a', 1)], [f('.wh.nope', 0)]]);
    expect(r.visibleBytes).toBe(1);
    expectBalanced(r);
  });
});

describe('resolveNode', () => {
  it('follows merged-/usr symlinks in parent directories', () => {
    const r = applyOverlay([[l('lib', 'usr/lib'), d('usr/lib'), f('usr/lib/libc.so.6', 9), l('bin', '/usr/bin'), f('usr/bin/ls', 2)]]);
    expect(resolveNode(r.root, 'lib/libc.so.6')?.entrySize).toBe(9);
    expect(resolveNode(r.root, 'bin/ls')?.entrySize).toBe(2);
  });

  it('gives up on symlink loops', () => {
    const r = applyOverlay([[l('a', 'b'), l('b', 'a')]]);
    expect(resolveNode(r.root, 'a/x')).toBeUndefined();
  });
});

describe('the cached parent walk (issue 16: no per-entry split)', () => {
  // Paths from a small alphabet, so entries share, nest, replace and delete each other: dirs that
  // become files and back, whiteouts and opaque markers, top-level entries, deep and shallow runs.
  const seg = fc.constantFrom('a', 'b', 'ab', 'a.b', 'usr', 'lib');
  const path = fc.array(seg, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));
  const entry = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(path, fc.nat(1000)).map(([p, n]) => f(p, n)) },
    { weight: 3, arbitrary: path.map((p) => d(p)) },
    { weight: 1, arbitrary: path.map((p) => ({ ...f(`${p.split('/').slice(0, -1).join('/')}/.wh.${p.split('/').at(-1)}`, 0) })) },
    { weight: 1, arbitrary: path.map((p) => f(`${p}/.wh..wh..opq`, 0)) },
    { weight: 1, arbitrary: fc.tuple(path, path).map(([p, t]) => h(p, t)) },
  );
  const layers = fc.array(fc.array(entry, { maxLength: 40 }), { minLength: 1, maxLength: 4 });
  const shape = (r: ReturnType<typeof applyOverlay>) => ({
    visible: r.visible.map((v) => [v.path, v.layer, v.size]),
    hidden: r.hidden,
    layers: r.layers,
    tree: nodesBelow(r.root).map((n) => [nodePath(n), n.layer, n.entryType ?? null]),
  });

  /**
   * The same layers with a top-level directory entry (`zz`, outside the alphabet) before every
   * entry: the parent found for it is the root, so every real entry's walk starts from the root
   * (the cached walk shares no prefix with ''). The reference, without a switch in overlay.ts.
   */
  const rootWalks = (ls: ScannedEntry[][]): EntryTable[] => ls.map((l) => EntryTable.from(l.flatMap((e) => [d('zz'), e])));
  const withoutZz = (s: ReturnType<typeof shape>) => ({ ...s, tree: s.tree.filter(([p]) => p !== 'zz') });

  it('finds the same parents as a walk from the root, whatever the entry order', () => {
    fc.assert(
      fc.property(layers, (ls) => {
        const tables = ls.map((l) => EntryTable.from(l));
        const cached = runSteps(overlaySteps(tables));
        const reference = runSteps(overlaySteps(rootWalks(ls)));
        expect(shape(cached)).toEqual(withoutZz(shape(reference)));
        expectBalanced(cached);
      }),
      { numRuns: 500 },
    );
  });
});
