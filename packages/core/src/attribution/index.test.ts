import { describe, expect, it } from 'vitest';
import { buildReport } from '../analyze.js';
import { applyOverlay } from '../overlay.js';
import { ReportSchema } from '../report-schema.js';
import { attribute, biggestDirectories, envCacheRules, loadCategoryRules, type AttributeOptions } from './index.js';
import { makeImage, type SpecImage } from './testing.js';

function analyze(spec: SpecImage, options: AttributeOptions = {}) {
  const image = makeImage(spec);
  const overlay = applyOverlay(image.layers.map((l) => l.scan.entries));
  return { image, overlay, ...attribute(image, overlay, options) };
}

const SPEC: SpecImage = {
  workingDir: '/app',
  layers: [
    { entries: ['/usr/bin/bash:1000', '/usr/share/doc/x/copyright:10', '/etc/os-release:20'] },
    { entries: ['/usr/bin/bash:1200', '/var/lib/apt/lists/Packages:500', '/app/main.py:40', '/app/.git/HEAD:5', '/usr/bin/.wh.nothing'] },
    { entries: ['/var/lib/apt/.wh.lists', '/app/main.py:41', '/tmp/scratch:7'] },
  ],
};

describe('attribute', () => {
  it('puts every shipped byte in exactly one category, per layer and overall', () => {
    const a = analyze(SPEC);
    expect(a.categories.reduce((s, c) => s + c.bytes, 0)).toBe(a.overlay.shippedBytes);
    expect(a.categories.reduce((s, c) => s + c.visibleBytes, 0)).toBe(a.overlay.visibleBytes);
    expect(a.categories.reduce((s, c) => s + c.wastedBytes, 0)).toBe(a.overlay.shippedBytes - a.overlay.visibleBytes);
    a.layerCategories.forEach((lc, i) => expect(Object.values(lc).reduce((s, n) => s + n, 0)).toBe(a.image.layers[i]!.scan.contentBytes));
    expect(a.layerCategories).toEqual([{ 'base-image': 1020, docs: 10 }, { other: 1200, 'apt-lists': 500, app: 40, vcs: 5 }, { app: 41, other: 7 }]);
    const byId = Object.fromEntries(a.categories.map((c) => [c.id, [c.bytes, c.visibleBytes, c.wastedBytes, c.files]]));
    expect(byId).toEqual({ 'base-image': [1020, 20, 1000, 2], 'apt-lists': [500, 0, 500, 1], app: [81, 41, 40, 2], docs: [10, 10, 0, 1], other: [1207, 1207, 0, 2], vcs: [5, 5, 0, 1] });
  });

  it('uses custom rules and application directories', () => {
    const rules = loadCategoryRules([{ match: '/tmp/**', category: 'scratch', label: 'Scratch files' }]);
    const a = analyze(SPEC, { rules, appDirs: [] });
    expect(a.categories.find((c) => c.id === 'scratch')).toMatchObject({ label: 'Scratch files', bytes: 7 });
    // WorkingDir /app still counts as an application directory
    expect(a.categories.find((c) => c.id === 'app')!.bytes).toBe(81);
    const b = analyze({ ...SPEC, workingDir: '/' }, { appDirs: ['/opt/app'] });
    expect(b.categories.find((c) => c.id === 'app')).toBeUndefined();
  });

  it('treats cache directories named in the environment as caches', () => {
    const env = ['HF_HOME=/models/hf', 'PIP_CACHE_DIR=/var/pipc', 'CONDA_PKGS_DIRS=/c1,/c2', 'XDG_CACHE_HOME=/xdg', 'TORCH_HOME=/'];
    const a = analyze({
      env,
      layers: [{ entries: ['/models/hf/hub/models--a--b/blobs/x:100', '/var/pipc/http/y:50', '/c2/zlib.conda:30', '/xdg/pip/w:20', '/xdg/uv/u:10'] }, { entries: ['/x:1'] }],
    });
    const byId = Object.fromEntries(a.categories.map((c) => [c.id, c.bytes]));
    expect(byId).toMatchObject({ 'hf-cache': 100, 'pip-cache': 70, 'conda-cache': 30, 'other-caches': 10 });
    expect(envCacheRules(new Map([['HF_HOME', '/a*b{c}']]))).toEqual([{ category: 'hf-cache', match: '/a\\*b\\{c\\}/**' }]);
  });

  it('estimates compressed sizes from priors when no sampler ran, and says so', () => {
    const a = analyze(SPEC);
    expect(a.warnings.map((w) => w.code)).toContain('W_NO_ESTIMATE');
    expect(a.warnings.map((w) => w.message).join()).toMatch(/no compression estimate for layer\(s\) 0, 1, 2/);
    expect(a.pull.compressedBytesExact).toBe(false);
    const b = analyze({ layers: SPEC.layers.map((l, i) => ({ ...l, compressedSize: 1000 * (i + 1) })) });
    expect(b.warnings).toEqual([]);
    expect(b.pull).toMatchObject({ compressedBytes: 6000, compressedBytesExact: true, seconds: 6000 * 8 / 1e9 });
  });

  it('rejects a bad bandwidth', () => {
    expect(() => analyze(SPEC, { bandwidthBitsPerSecond: 0 })).toThrow(/bandwidth must be a positive number/);
  });
});

describe('directories', () => {
  it('rolls sizes up into every ancestor, depth-limited, biggest first, without following symlinks', () => {
    const a = analyze({
      layers: [
        {
          entries: [
            { path: '/lib', link: 'usr/lib' },
            '/usr/lib/a/b/c/d/e.so:100',
            '/usr/lib/a/x.so:50',
            '/usr/bin/tool:30',
            '/opt/big.bin:500',
            '/root.txt:1',
          ],
        },
      ],
    });
    expect(biggestDirectories(a.overlay.root, { maxDepth: 3 })).toEqual([
      { path: '/opt', visibleBytes: 500, files: 1, depth: 1 },
      { path: '/usr', visibleBytes: 180, files: 3, depth: 1 },
      { path: '/usr/lib/a', visibleBytes: 150, files: 2, depth: 3 },
      { path: '/usr/lib/a/b/c/d', visibleBytes: 100, files: 1, depth: 6 },
      { path: '/usr/bin', visibleBytes: 30, files: 1, depth: 2 },
    ]);
    expect(biggestDirectories(a.overlay.root, { top: 2 }).map((d) => d.path)).toEqual(['/opt', '/usr']);
    expect(biggestDirectories(a.overlay.root, { maxDepth: 2 }).map((d) => d.path)).toEqual(['/opt', '/usr', '/usr/lib/a', '/usr/bin']);
    expect(a.directories.find((d) => d.path === '/lib')).toBeUndefined();
  });

  it('collapses chains of single-child directories and hides 0 B ones (issue 11: /opt, /opt/venv, /opt/venv/lib all 1.67 MB)', () => {
    const a = analyze({
      layers: [
        {
          entries: [
            '/opt/venv/lib/python3.11/site-packages/torch/x.so:700',
            '/opt/venv/lib/python3.11/site-packages/numpy/y.so:300',
            '/opt/venv/lib/python3.11/site-packages/empty/__init__.py:0',
            '/opt/venv/pyvenv.cfg:10',
            '/var/log/empty.log:0',
            '/etc/motd:0',
          ],
        },
      ],
    });
    const dirs = biggestDirectories(a.overlay.root, { maxDepth: 9 });
    expect(dirs.map((d) => d.path)).toEqual([
      '/opt/venv',
      '/opt/venv/lib/python3.11/site-packages',
      '/opt/venv/lib/python3.11/site-packages/torch',
      '/opt/venv/lib/python3.11/site-packages/numpy',
    ]);
    expect(dirs.every((d) => d.visibleBytes > 0)).toBe(true);
    expect(dirs[1]).toEqual({ path: '/opt/venv/lib/python3.11/site-packages', visibleBytes: 1000, files: 3, depth: 5 });
  });
});

describe('buildReport with attribution', () => {
  it('fills categories, packages, findings, pull, directories and the savings summary, and passes the schema', () => {
    const image = makeImage({ ...SPEC, layers: SPEC.layers.map((l) => ({ ...l, estimatedCompressedBytes: 800 })) });
    const r = buildReport(image, { bandwidthBitsPerSecond: 8e6 });
    expect(ReportSchema.safeParse(r).success).toBe(true);
    expect(r.layers.map((l) => l.categories)).toEqual([{ 'base-image': 1020, docs: 10 }, { other: 1200, 'apt-lists': 500, app: 40, vcs: 5 }, { app: 41, other: 7 }]);
    expect(r.pull).toMatchObject({ bandwidthBitsPerSecond: 8e6, compressedBytes: 2400, compressedBytesExact: false });
    expect(r.summary.pullSeconds).toBeCloseTo(2400 * 8 / 8e6, 9);
    expect(r.summary.potentialSavingsBytes).toBe(r.findings!.filter((f) => f.countedInSavings).reduce((s, f) => s + f.bytes, 0));
    expect(r.findings!.map((f) => f.id)).toContain('cleanup-in-later-layer');
    expect(r.directories!.length).toBeGreaterThan(0);
    expect(r.packages).toMatchObject({ packages: [], unownedFiles: 6 });
  });

  it('summary.compressedBytes and pull.compressedBytes are one value (issue 11: they differed by rounding)', () => {
    // 3 × 800.4 rounds to 2401 as one sum, 2400 layer by layer.
    const image = makeImage({ ...SPEC, layers: SPEC.layers.map((l) => ({ ...l, estimatedCompressedBytes: 800.4 })) });
    const r = buildReport(image, { bandwidthBitsPerSecond: 8e6 });
    expect(r.layers.map((l) => l.compressedBytes)).toEqual([800, 800, 800]);
    expect(r.summary.compressedBytes).toBe(2400);
    expect(r.pull!.compressedBytes).toBe(2400);
  });
});
