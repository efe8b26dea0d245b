import { describe, expect, it } from 'vitest';
import { makeReport, type ReportSpec } from '../../../../test/diff/make-report.js';
import { DiffReportSchema } from './diff-schema.js';
import { diffReports } from './diff.js';

const BASE: ReportSpec = {
  ref: 'naive.tar',
  tag: 'ml:naive',
  layers: [
    { diffId: 'sha256:base', bytes: 1000, compressed: 400, instruction: 'ADD rootfs' },
    { diffId: 'sha256:tools', bytes: 3000, compressed: 1000, instruction: 'RUN apt-get install build-essential' },
    { diffId: 'sha256:pip', bytes: 6000, compressed: 5000, instruction: 'RUN pip install torch' },
  ],
  files: [
    ['/etc/os-release', 1000, 1000],
    ['/usr/bin/gcc', 3000, 3000],
    ['/root/.cache/pip/torch.whl', 2000, 0],
    ['/usr/lib/python3/site-packages/torch/lib.so', 4000, 4000],
  ],
  categories: [
    { id: 'os-base', bytes: 1000 },
    { id: 'build-tools', bytes: 3000 },
    { id: 'pip-cache', bytes: 2000, visible: 0 },
    { id: 'torch', bytes: 4000 },
  ],
  packages: [
    { manager: 'dpkg', name: 'gcc-12', version: '12.2', bytes: 3000 },
    { manager: 'dpkg', name: 'base-files', version: '12', bytes: 1000 },
    { manager: 'pip', name: 'torch', version: '2.1.0', bytes: 4000 },
  ],
  findings: [
    { id: 'build-tools', bytes: 3000 },
    { id: 'pip-cache', bytes: 2000 },
  ],
  dive: { efficiency: 0.8 },
  pull: { bandwidth: 8000 },
};

const AFTER: ReportSpec = {
  ref: 'optimized.tar',
  tag: 'ml:optimized',
  layers: [
    { diffId: 'sha256:base', bytes: 1000, compressed: 400, instruction: 'ADD rootfs' },
    { diffId: 'sha256:pip2', bytes: 4500, compressed: 3500, instruction: 'RUN pip install --no-cache-dir torch' },
  ],
  files: [
    ['/etc/os-release', 1000, 1000],
    ['/usr/lib/python3/site-packages/torch/lib.so', 4200, 4200],
    ['/app/model.py', 300, 300],
  ],
  categories: [
    { id: 'os-base', bytes: 1000 },
    { id: 'torch', bytes: 4200 },
    { id: 'app', bytes: 300 },
  ],
  packages: [
    { manager: 'dpkg', name: 'base-files', version: '12', bytes: 1000 },
    { manager: 'pip', name: 'torch', version: '2.2.0', bytes: 4200 },
    { manager: 'pip', name: 'numpy', version: '1.26', bytes: 0 },
  ],
  findings: [{ id: 'pip-cache', bytes: 0 }, { id: 'docs', bytes: 10 }],
  dive: { efficiency: 1 },
  pull: { bandwidth: 8000 },
};

describe('diffReports', () => {
  it('a report against itself: zero deltas, all layers shared', () => {
    const r = makeReport(BASE);
    const d = diffReports(r, r);
    expect(DiffReportSchema.parse(d)).toEqual(d);
    for (const k of ['contentBytes', 'visibleBytes', 'wastedBytes', 'files', 'layers', 'diveEfficiency'] as const) expect(d.totals[k].delta).toBe(0);
    expect(d.totals.compressedBytes.delta).toBe(0);
    expect(d.totals.pullSeconds.delta).toBe(0);
    expect(d.layers.shared).toHaveLength(3);
    expect(d.layers.added).toEqual([]);
    expect(d.layers.removed).toEqual([]);
    expect(d.layers.commonBaseLayers).toBe(3);
    expect(d.layers.addedCompressedBytes).toBe(0);
    expect(d.categories.available && d.categories.changes.every((c) => c.delta === 0)).toBe(true);
    expect(d.packages).toMatchObject({ available: true, changes: [], counts: { added: 0, removed: 0, versionChanged: 0, unchanged: 3 } });
    expect(d.paths).toMatchObject({ available: true, top: [], omitted: 0, directories: [], counts: { unchanged: 4, added: 0 } });
    expect(d.findings).toMatchObject({ available: true, resolved: [], new: [] });
    expect(d.warnings).toEqual([]);
  });

  it('known deltas between two hand-built reports', () => {
    const d = diffReports(makeReport(BASE), makeReport(AFTER));
    expect(DiffReportSchema.safeParse(d).success).toBe(true);
    expect(d.before).toMatchObject({ name: 'ml:naive', ref: 'naive.tar', origin: 'analyzed', platform: 'linux/amd64' });
    expect(d.after.name).toBe('ml:optimized');
    expect(d.totals.contentBytes).toEqual({ before: 10_000, after: 5500, delta: -4500 });
    expect(d.totals.visibleBytes).toEqual({ before: 8000, after: 5500, delta: -2500 });
    expect(d.totals.wastedBytes).toEqual({ before: 2000, after: 0, delta: -2000 });
    expect(d.totals.layers).toEqual({ before: 3, after: 2, delta: -1 });
    expect(d.totals.compressedBytes).toEqual({ before: 6400, after: 3900, delta: -2500, beforeExact: true, afterExact: true });
    // 8000 bit/s: 6400 B = 6.4 s, 3900 B = 3.9 s
    expect(d.totals.pullSeconds.before).toBeCloseTo(6.4);
    expect(d.totals.pullSeconds.after).toBeCloseTo(3.9);
    expect(d.totals.bandwidthBitsPerSecond).toBe(8000);
    expect(d.totals.diveEfficiency.delta).toBeCloseTo(0.2);

    expect(d.layers.shared.map((l) => [l.diffId, l.beforeIndex, l.afterIndex])).toEqual([['sha256:base', 0, 0]]);
    expect(d.layers.removed.map((l) => l.diffId)).toEqual(['sha256:tools', 'sha256:pip']);
    expect(d.layers.added.map((l) => [l.diffId, l.afterIndex])).toEqual([['sha256:pip2', 1]]);
    expect(d.layers).toMatchObject({ commonBaseLayers: 1, sharedBytes: 1000, removedBytes: 9000, addedBytes: 4500, addedCompressedBytes: 3500 });

    if (!d.categories.available) throw new Error('categories unavailable');
    expect(d.categories.changes.map((c) => [c.id, c.delta])).toEqual([
      ['build-tools', -3000],
      ['pip-cache', -2000],
      ['app', 300],
      ['torch', 200],
      ['os-base', 0],
    ]);
    expect(d.categories.changes.reduce((s, c) => s + c.delta, 0)).toBe(d.totals.contentBytes.delta);

    if (!d.packages.available) throw new Error('packages unavailable');
    expect(d.packages.changes).toEqual([
      { manager: 'dpkg', name: 'gcc-12', change: 'removed', versionBefore: '12.2', versionAfter: null, bytesBefore: 3000, bytesAfter: 0, delta: -3000 },
      { manager: 'pip', name: 'torch', change: 'version-changed', versionBefore: '2.1.0', versionAfter: '2.2.0', bytesBefore: 4000, bytesAfter: 4200, delta: 200 },
      { manager: 'pip', name: 'numpy', change: 'added', versionBefore: null, versionAfter: '1.26', bytesBefore: 0, bytesAfter: 0, delta: 0 },
    ]);
    expect(d.packages.counts).toEqual({ added: 1, removed: 1, versionChanged: 1, unchanged: 1 });
    expect(d.packages.managers.dpkg).toEqual({ packages: { before: 2, after: 1, delta: -1 }, visibleBytes: { before: 4000, after: 1000, delta: -3000 } });

    if (!d.paths.available) throw new Error('paths unavailable');
    expect(d.paths.top.map((p) => [p.path, p.change, p.delta])).toEqual([
      ['/usr/bin/gcc', 'removed', -3000],
      ['/root/.cache/pip/torch.whl', 'removed', -2000],
      ['/app/model.py', 'added', 300],
      ['/usr/lib/python3/site-packages/torch/lib.so', 'grown', 200],
    ]);
    expect(d.paths.top[1]).toMatchObject({ before: 2000, visibleBefore: 0, after: 0, visibleAfter: 0 });
    expect(d.paths.counts).toEqual({ added: 1, removed: 2, grown: 1, shrunk: 0, unchanged: 1 });
    expect(d.paths.bytes).toEqual({ added: 300, removed: 5000, grown: 200, shrunk: 0 });
    expect(d.paths.top.reduce((s, p) => s + p.delta, 0)).toBe(d.totals.contentBytes.delta);
    expect(d.paths.directories.map((x) => [x.path, x.delta, x.files])).toEqual([
      ['/usr/bin', -3000, 1],
      ['/root/.cache/pip', -2000, 1],
      ['/app', 300, 1],
      ['/usr/lib/python3', 200, 1],
    ]);

    if (!d.findings.available) throw new Error('findings unavailable');
    expect(d.findings.resolved.map((f) => f.id)).toEqual(['build-tools']);
    expect(d.findings.new.map((f) => f.id)).toEqual(['docs']);
    expect(d.findings.persisting).toEqual([{ id: 'pip-cache', title: 'pip-cache', bytesBefore: 2000, bytesAfter: 0, delta: -2000 }]);
  });

  it('caps the path list and counts the rest', () => {
    const d = diffReports(makeReport(BASE), makeReport(AFTER), { topPaths: 2, directoryDepth: 1 });
    if (!d.paths.available) throw new Error('paths unavailable');
    expect(d.paths.top).toHaveLength(2);
    expect(d.paths.omitted).toBe(2);
    expect(d.paths.directories.map((x) => [x.path, x.delta])).toEqual([
      ['/usr', -2800],
      ['/root', -2000],
    ]);
  });

  it('says which sections are unavailable instead of reporting zero', () => {
    const bare: ReportSpec = { layers: BASE.layers };
    const d = diffReports(makeReport(BASE), makeReport(bare));
    expect(d.paths).toEqual({ available: false, reason: expect.stringMatching(/^the after report has no per-path data.*--include-files/) });
    expect(d.categories).toEqual({ available: false, reason: 'the after report has no categories' });
    expect(d.packages).toEqual({ available: false, reason: 'the after report has no packages' });
    expect(d.findings).toEqual({ available: false, reason: 'the after report has no findings' });
    const both = diffReports(makeReport(bare), makeReport(bare));
    expect(both.paths.available || both.paths.reason).toMatch(/^neither report has/);
  });

  it('matches repeated diffIDs (empty layers) as a multiset', () => {
    const empty = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
    const b = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 5 }, { diffId: empty, bytes: 0 }, { diffId: empty, bytes: 0 }] });
    const a = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 5 }, { diffId: empty, bytes: 0 }] });
    const d = diffReports(b, a);
    expect(d.layers.shared.map((l) => [l.beforeIndex, l.afterIndex])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(d.layers.removed.map((l) => l.beforeIndex)).toEqual([2]);
    expect(d.layers.addedCompressedBytes).toBe(0);
  });

  it('labels compressed sizes and warns when exact is compared with estimated', () => {
    const exact = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 5, compressed: 3 }] });
    const est = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 5, compressed: 4 }], compressedExact: false });
    const d = diffReports(exact, est);
    expect(d.totals.compressedBytes).toMatchObject({ beforeExact: true, afterExact: false, delta: 1 });
    expect(d.warnings.join()).toMatch(/exact size \(before\) with an estimated size \(after\)/);
  });

  it('pull seconds use one bandwidth for both sides', () => {
    const b = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 5, compressed: 1000 }], pull: { bandwidth: 1000 } });
    const a = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 5, compressed: 1000 }], pull: { bandwidth: 8000 } });
    const d = diffReports(b, a);
    expect(d.totals.bandwidthBitsPerSecond).toBe(8000);
    expect(d.totals.pullSeconds).toEqual({ before: 1, after: 1, delta: 0 });
    const none = makeReport({ layers: [{ diffId: 'sha256:a', bytes: 5 }] });
    expect(diffReports(none, none).totals.pullSeconds).toEqual({ before: null, after: null, delta: null });
    expect(diffReports(none, b, { bandwidthBitsPerSecond: 2000 }).totals.pullSeconds).toEqual({ before: null, after: 4, delta: null });
  });

  it('names sides by the given ref when there is no repo tag', () => {
    const r = makeReport({ ref: '/tmp/builds/app-v2.tar.gz', layers: [] });
    const d = diffReports(r, r, { before: { ref: 'old.json', origin: 'saved-report' } });
    expect(d.before).toMatchObject({ name: 'old.json', origin: 'saved-report' });
    expect(d.after.name).toBe('app-v2.tar.gz');
  });
});

describe('findings are matched by rule and by the paths and layers they concern (issue 11)', () => {
  const layers = [
    { diffId: 'sha256:base', bytes: 1000, compressed: 400 },
    { diffId: 'sha256:apt', bytes: 300_000, compressed: 100_000 },
    { diffId: 'sha256:clean', bytes: 0, compressed: 100 },
    { diffId: 'sha256:lists', bytes: 0, compressed: 100 },
  ];
  const apt = (title: string, bytes: number, paths: string[], layerIdx: number[]) => ({
    id: 'cleanup-in-later-layer',
    title,
    severity: 'low' as const,
    confidence: 'certain' as const,
    bytes,
    compressedBytes: bytes,
    pullSeconds: 0,
    layers: layerIdx,
    instruction: null,
    evidence: paths.map((path) => ({ path, bytes: Math.round(bytes / paths.length), layer: layerIdx[0]! })),
    fix: 'fix',
    countedInSavings: true,
  });
  const cache = apt('Apt cache deleted in layer 2 but shipped by layer 1', 99_400, ['/var/cache/apt/pkgcache.bin', '/var/cache/apt/srcpkgcache.bin'], [1, 2]);
  const lists = apt('Apt lists deleted in layer 3 but shipped by layer 1', 43_400, ['/var/lib/apt/lists/x_Packages', '/var/lib/apt/lists/y_Translation-en'], [1, 3]);

  it('resolving one of two findings of a rule reports that finding, with its own title and bytes (was "resolved Apt cache … 143 kB")', () => {
    const before = makeReport({ tag: 'a:1', layers });
    before.findings = [cache, lists];
    const after = makeReport({ tag: 'a:2', layers });
    after.findings = [{ ...lists, bytes: 40_000 }];
    const d = diffReports(before, after);
    if (!d.findings.available) throw new Error('findings unavailable');
    expect(d.findings.resolved).toEqual([{ id: 'cleanup-in-later-layer', title: cache.title, severity: 'low', bytes: 99_400, compressedBytes: 99_400 }]);
    expect(d.findings.new).toEqual([]);
    expect(d.findings.persisting).toEqual([{ id: 'cleanup-in-later-layer', title: lists.title, bytesBefore: 43_400, bytesAfter: 40_000, delta: -3_400 }]);
  });

  it('a finding of the same rule about other paths and layers is new, not the old one grown', () => {
    const before = makeReport({ tag: 'a:1', layers });
    before.findings = [cache];
    const after = makeReport({ tag: 'a:2', layers: [...layers, { diffId: 'sha256:other', bytes: 5000, compressed: 100 }] });
    after.findings = [apt('Files overwritten by layer 4 but shipped by layer 0', 5000, ['/etc/passwd'], [0, 4])];
    const d = diffReports(before, after);
    if (!d.findings.available) throw new Error('findings unavailable');
    expect(d.findings.resolved.map((f) => f.bytes)).toEqual([99_400]);
    expect(d.findings.new.map((f) => f.title)).toEqual(['Files overwritten by layer 4 but shipped by layer 0']);
    expect(d.findings.persisting).toEqual([]);
  });

  it('the same cache in a rebuilt layer with new file names still persists (matched by folder)', () => {
    const before = makeReport({ tag: 'a:1', layers });
    before.findings = [{ ...apt('pip cache left in the image', 1_190_000, ['/root/.cache/pip/http-v2/1/4/aaa'], [1]), id: 'pip-cache' }];
    const after = makeReport({ tag: 'a:2', layers: [layers[0]!, { diffId: 'sha256:rebuilt', bytes: 2_000_000, compressed: 1 }] });
    after.findings = [{ ...apt('pip cache left in the image (rebuilt)', 1_000_000, ['/root/.cache/pip/http-v2/9/9/bbb'], [1]), id: 'pip-cache' }];
    const d = diffReports(before, after);
    if (!d.findings.available) throw new Error('findings unavailable');
    expect(d.findings.persisting).toEqual([{ id: 'pip-cache', title: 'pip cache left in the image (rebuilt)', bytesBefore: 1_190_000, bytesAfter: 1_000_000, delta: -190_000 }]);
  });
});
