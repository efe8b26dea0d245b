/**
 * The fixture images' intended categories and owners (fixtures/images) against attribution,
 * byte for byte. The fixture model is converted straight into a LoadedImage: no tar I/O.
 */
import { describe, expect, it } from 'vitest';
import {
  entryContent,
  entrySize,
  expectedFacts,
  imageLayers,
  isLayerEntry,
  naiveMlImage,
  optimizedMlImage,
  smallImage,
  tarPathOf,
  type FixtureImage,
} from '../../../../fixtures/images/index.js';
import { isMetadataPath } from '../metadata-paths.js';
import type { CapturedFile, LoadedImage, ScannedEntry } from '../model.js';
import { applyOverlay } from '../overlay.js';
import { EntryTable } from '../entry-table.js';
import { attribute } from './index.js';

/** The LoadedImage a scan of the fixture's archive would produce (entries, sizes, captured records). */
function toLoadedImage(img: FixtureImage): LoadedImage {
  const layers = imageLayers(img).map((l, index) => {
    const entries: ScannedEntry[] = [];
    const captured: CapturedFile[] = [];
    let contentBytes = 0;
    for (const e of l.entries) {
      const path = tarPathOf(e);
      const type = e.type === 'whiteout' || e.type === 'opaque' ? 'file' : e.type;
      const size = type === 'file' ? entrySize(e) : 0;
      const se: ScannedEntry = { path, type, size, mode: e.mode ?? 0o644 };
      if (e.linkTarget !== undefined) se.linkTarget = e.type === 'hardlink' ? e.linkTarget.replace(/^\/+/, '') : e.linkTarget;
      entries.push(se);
      contentBytes += size;
      if (e.type === 'file' && isMetadataPath(path)) captured.push({ path, content: Buffer.concat([...entryContent(e)]), truncated: false });
    }
    return { index, diffId: `sha256:${String(index).padStart(64, '0')}`, compression: 'none' as const, scan: { entries: EntryTable.from(entries), tarBytes: 0, contentBytes, captured, warnings: [] } };
  });
  return {
    source: { kind: 'docker-archive', format: 'docker-archive-legacy', ref: img.repoTag },
    repoTags: [img.repoTag],
    config: {
      os: 'linux',
      architecture: 'amd64',
      env: img.env ?? [],
      entrypoint: null,
      cmd: img.cmd ?? null,
      workingDir: img.workingDir,
      labels: img.labels ?? {},
      history: img.history.map((h) => (isLayerEntry(h) ? { createdBy: h.layer.createdBy, emptyLayer: false } : { createdBy: h.createdBy, emptyLayer: true })),
      diffIds: layers.map((l) => l.diffId),
    },
    layers,
    warnings: [],
  };
}

const nonZero = (r: Record<string, number | undefined>): Record<string, number> => Object.fromEntries(Object.entries(r).filter(([, v]) => (v ?? 0) > 0)) as Record<string, number>;

describe.each([
  ['naive', naiveMlImage()],
  ['optimized', optimizedMlImage()],
  ['small', smallImage()],
])('fixture image %s', (_name, fixture) => {
  const facts = expectedFacts(fixture);
  const image = toLoadedImage(fixture);
  const overlay = applyOverlay(image.layers.map((l) => l.scan.entries));
  const a = attribute(image, overlay);

  it('has the intended per-category shipped, visible and wasted bytes', () => {
    const got = Object.fromEntries(a.categories.map((c) => [c.id, { shipped: c.bytes, visible: c.visibleBytes, wasted: c.wastedBytes }]));
    const want = Object.fromEntries(
      Object.entries(facts.categories).map(([id, c]) => [id, { shipped: c!.shipped, visible: c!.visible, wasted: c!.overwritten + c!.deleted }]),
    );
    expect(got).toEqual(want);
    expect(a.categories.reduce((s, c) => s + c.bytes, 0)).toBe(facts.totals.shipped);
  });

  it('has the intended categories in every layer', () => {
    expect(a.layerCategories).toEqual(facts.layers.map((l) => nonZero(l.categories)));
    a.layerCategories.forEach((lc, i) => expect(Object.values(lc).reduce((s, n) => s + n, 0)).toBe(image.layers[i]!.scan.contentBytes));
  });

  it('attributes every owned byte to the intended package', () => {
    const got = Object.fromEntries(a.packages.packages.filter((p) => p.visibleBytes > 0).map((p) => [`${p.manager}:${p.name}`, { visible: p.visibleBytes, files: p.files, version: p.version }]));
    const want = Object.fromEntries(Object.entries(facts.owners).map(([k, o]) => [k, { visible: o.visible, files: o.visibleFiles, version: o.version }]));
    expect(got).toEqual(want);
    const owned = Object.values(facts.owners).reduce((s, o) => s + o.visible, 0);
    expect(a.packages.unownedBytes).toBe(facts.totals.visible - owned);
  });

  it('reports no attribution warnings', () => {
    expect(a.warnings.filter((w) => w.code !== 'W_NO_ESTIMATE')).toEqual([]);
  });
});

describe('fixture findings', () => {
  it('finds the classic mistakes planted in the naive image and none of them in the optimized one', () => {
    const run = (f: FixtureImage) => {
      const image = toLoadedImage(f);
      return attribute(image, applyOverlay(image.layers.map((l) => l.scan.entries)));
    };
    const naive = run(naiveMlImage());
    const ids = new Set(naive.findings.map((f) => f.id));
    for (const id of ['cuda-devel', 'cuda-duplicate', 'cleanup-in-later-layer', 'pip-cache', 'conda-cache', 'build-tools', 'dev-files', 'opencv-gui', 'docs', 'vcs', 'model-weights', 'wasted-bytes']) {
      expect(ids, id).toContain(id);
    }
    // triton ships in the naive image: removing gcc is only "possible"
    expect(naive.findings.find((f) => f.id === 'build-tools')!.confidence).toBe('possible');
    const optimized = run(optimizedMlImage());
    const opt = new Set(optimized.findings.map((f) => f.id));
    for (const id of ['cuda-devel', 'cuda-duplicate', 'cleanup-in-later-layer', 'pip-cache', 'conda-cache', 'build-tools', 'opencv-gui', 'vcs']) expect(opt, id).not.toContain(id);
    expect(optimized.savings.bytes).toBeLessThan(naive.savings.bytes / 10);
  });
});
