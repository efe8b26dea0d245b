/**
 * End to end: the generated naive and optimized ML images (fixtures/images), written as docker-save
 * archives, analysed with per-path data and diffed. Every delta is checked against what the
 * generator's own file lists imply, computed here from the fixture model without imgsize code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedFacts, imageLayers, naiveMlImage, optimizedMlImage, type FixtureImage } from '../../fixtures/images/index.js';
import { diffReports } from '../../packages/core/src/diff/diff.js';
import { DiffReportSchema, type DiffReport } from '../../packages/core/src/diff/diff-schema.js';
import { analyzeNaiveAndOptimized, type AnalyzedFixture } from '../../docs/examples/generate.js';

interface PathFacts {
  shipped: number;
  visible: number;
}

/** Per-path shipped and visible bytes of a fixture image: a plain overlay over the model's entries. */
function fixturePaths(image: FixtureImage): Map<string, PathFacts> {
  const shipped = new Map<string, number>();
  const visible = new Map<string, number>();
  const clean = (p: string) => `/${p.replace(/^\/+/, '').replace(/\/+$/, '')}`;
  const dropUnder = (dir: string, self: boolean) => {
    for (const k of [...visible.keys()]) if ((self && k === dir) || k.startsWith(`${dir}/`)) visible.delete(k);
  };
  for (const layer of imageLayers(image)) {
    // Whiteouts only hide lower layers, so they go first (OCI image spec, "Whiteouts").
    for (const e of layer.entries) {
      if (e.type === 'whiteout') dropUnder(clean(e.path), true);
      if (e.type === 'opaque') dropUnder(clean(e.path), false);
    }
    for (const e of layer.entries) {
      if (e.type === 'whiteout' || e.type === 'opaque') continue;
      const p = clean(e.path);
      if (e.type !== 'dir') dropUnder(p, true);
      else visible.delete(p);
      if (e.type === 'file') {
        const size = e.content !== undefined ? Buffer.byteLength(e.content) : (e.size ?? 0);
        shipped.set(p, (shipped.get(p) ?? 0) + size);
        visible.set(p, size);
      }
    }
  }
  const out = new Map<string, PathFacts>();
  for (const [p, s] of shipped) out.set(p, { shipped: s, visible: visible.get(p) ?? 0 });
  return out;
}

const norm = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

describe('diff of the naive and optimized ML fixture images', () => {
  let before: AnalyzedFixture;
  let after: AnalyzedFixture;
  let d: DiffReport;
  const naive = naiveMlImage();
  const optimized = optimizedMlImage();

  beforeAll(async () => {
    ({ before, after } = await analyzeNaiveAndOptimized());
    d = diffReports(before.report, after.report, { topPaths: Number.MAX_SAFE_INTEGER });
  });

  it('is a valid DiffReport', () => {
    expect(DiffReportSchema.safeParse(d).success).toBe(true);
  });

  it('totals match the fixture facts', () => {
    const fb = expectedFacts(naive);
    const fa = expectedFacts(optimized);
    const content = (f: typeof fb) => f.layers.reduce((s, l) => s + l.contentBytes, 0);
    expect(d.totals.contentBytes).toEqual({ before: content(fb), after: content(fa), delta: content(fa) - content(fb) });
    expect(d.totals.visibleBytes.before).toBe(fb.totals.visible);
    expect(d.totals.visibleBytes.after).toBe(fa.totals.visible);
    expect(d.totals.wastedBytes.delta).toBe(fa.totals.wasted - fb.totals.wasted);
    expect(d.totals.layers).toEqual({ before: fb.layers.length, after: fa.layers.length, delta: fa.layers.length - fb.layers.length });
  });

  it('layers are shared exactly when the written diffIDs match', () => {
    const a = after.written.layers.map((l) => l.diffId);
    const b = before.written.layers.map((l) => l.diffId);
    const shared = a.filter((x) => b.includes(x));
    expect(shared.length).toBeGreaterThan(0); // same Debian base layer
    expect(d.layers.shared.map((l) => l.diffId)).toEqual(shared);
    expect(d.layers.added.map((l) => l.diffId)).toEqual(a.filter((x) => !b.includes(x)));
    expect(d.layers.removed.map((l) => l.diffId)).toEqual(b.filter((x) => !a.includes(x)));
    expect(d.layers.addedCompressedBytes).toBe(after.written.layers.filter((l) => !b.includes(l.diffId)).reduce((s, l) => s + l.size, 0));
  });

  it('path changes equal the per-path deltas of the fixture file lists', () => {
    if (!d.paths.available) throw new Error(d.paths.reason);
    const pb = fixturePaths(naive);
    const pa = fixturePaths(optimized);
    const expected = new Map<string, { change: string; before: number; after: number; visibleBefore: number; visibleAfter: number }>();
    let unchanged = 0;
    for (const p of new Set([...pb.keys(), ...pa.keys()])) {
      const x = pb.get(p);
      const y = pa.get(p);
      const delta = (y?.shipped ?? 0) - (x?.shipped ?? 0);
      const change = !x ? 'added' : !y ? 'removed' : delta > 0 ? 'grown' : delta < 0 ? 'shrunk' : undefined;
      if (!change) unchanged++;
      else expected.set(p, { change, before: x?.shipped ?? 0, after: y?.shipped ?? 0, visibleBefore: x?.visible ?? 0, visibleAfter: y?.visible ?? 0 });
    }
    const actual = new Map(d.paths.top.map((c) => [c.path, { change: c.change, before: c.before, after: c.after, visibleBefore: c.visibleBefore, visibleAfter: c.visibleAfter }]));
    expect(d.paths.omitted).toBe(0);
    expect(actual).toEqual(expected);
    expect(d.paths.counts.unchanged).toBe(unchanged);
    // The paths explain the whole change in shipped bytes.
    expect(d.paths.top.reduce((s, c) => s + c.delta, 0)).toBe(d.totals.contentBytes.delta);
    // The planted mistakes are gone: pip cache, build tools, the HF cache.
    const gone = (prefix: string) => d.paths.available && d.paths.top.some((c) => c.path.startsWith(prefix) && c.change === 'removed');
    expect(gone('/root/.cache/pip/')).toBe(true);
    expect(gone('/root/.cache/huggingface/')).toBe(true);
  });

  it('category deltas equal the fixture category facts (when the report has categories)', (ctx) => {
    if (!d.categories.available) ctx.skip(`not computed yet: ${d.categories.reason}`);
    if (!d.categories.available) return;
    const fb = expectedFacts(naive).categories;
    const fa = expectedFacts(optimized).categories;
    const ids = new Set([...Object.keys(fb), ...Object.keys(fa)]);
    for (const id of ids) {
      const c = d.categories.changes.find((x) => x.id === id);
      const want = (fa[id as keyof typeof fa]?.shipped ?? 0) - (fb[id as keyof typeof fb]?.shipped ?? 0);
      expect({ id, delta: c?.delta ?? 0 }).toEqual({ id, delta: want });
    }
  });

  it('package deltas equal the fixture package owners (when the report has packages)', (ctx) => {
    if (!d.packages.available) ctx.skip(`not computed yet: ${d.packages.reason}`);
    if (!d.packages.available) return;
    const ob = expectedFacts(naive).owners;
    const oa = expectedFacts(optimized).owners;
    const key = (o: { manager: string; name: string }) => `${o.manager}:${norm(o.name)}`;
    const before = new Map(Object.values(ob).map((o) => [key(o), o]));
    const after = new Map(Object.values(oa).map((o) => [key(o), o]));
    const expected = new Map<string, { change: string; bytesBefore: number; bytesAfter: number }>();
    for (const k of new Set([...before.keys(), ...after.keys()])) {
      const x = before.get(k);
      const y = after.get(k);
      const change = !x ? 'added' : !y ? 'removed' : x.version !== y.version ? 'version-changed' : undefined;
      if (change) expected.set(k, { change, bytesBefore: x?.visible ?? 0, bytesAfter: y?.visible ?? 0 });
    }
    const actual = new Map(d.packages.changes.map((c) => [key(c), { change: c.change, bytesBefore: c.bytesBefore, bytesAfter: c.bytesAfter }]));
    expect(actual).toEqual(expected);
  });
});
