import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildReport } from './analyze.js';
import { createCompressionSampler } from './attribution/index.js';
import type { LoadedImage } from './model.js';
import { ReportSchema, type FileRow } from './report-schema.js';
import { openDockerArchive } from './sources/docker-archive.js';

const NAIVE = fileURLToPath(new URL('../../../fixtures/images/examples/naive-ml.tar.gz', import.meta.url));

async function load(path: string): Promise<LoadedImage> {
  return openDockerArchive(path).load({ scan: { plugins: [() => createCompressionSampler()] } });
}

describe('buildReport({includeFiles}): per-path rows agree with the report, column by column', async () => {
  const image = await load(NAIVE);
  const report = buildReport(image, { includeFiles: true });
  const rows = report.files!.entries as FileRow[];

  it('the rest of the report is the same with and without the rows (one pass, same numbers)', () => {
    expect({ ...report, files: undefined }).toEqual({ ...buildReport(image), files: undefined });
    expect(buildReport(image).files).toBeUndefined();
  });
  const sum = (f: (r: FileRow) => number): number => rows.reduce((s, r) => s + f(r), 0);

  it('every row has the category and layer columns; paths sorted and unique', () => {
    expect(rows.length).toBeGreaterThan(1000);
    for (const r of rows) {
      expect(r.length === 5 || r.length === 6).toBe(true);
      // Not visible (null layer) means no visible bytes; visible bytes mean a layer.
      if (r[4] === null) expect(r[2]).toBe(0);
      if (r[2] > 0) expect(r[4]).not.toBeNull();
      if (r.length === 6) expect(r[5]!.length).toBeGreaterThan(0);
    }
    const paths = rows.map((r) => r[0]);
    expect([...paths].sort()).toEqual(paths);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('shipped and visible sum to the summary; hidden copies to the wasted bytes', () => {
    expect(sum((r) => r[1])).toBe(report.summary.contentBytes);
    expect(sum((r) => r[2])).toBe(report.summary.visibleBytes);
    expect(sum((r) => (r[5] ?? []).reduce((s, c) => s + c[1], 0))).toBe(report.summary.wastedBytes);
    for (const r of rows) expect(r[1]).toBe(r[2] + (r[5] ?? []).reduce((s, c) => s + c[1], 0));
  });

  it('visible bytes per layer, hidden bytes per shipping layer and per hiding layer match the layer table', () => {
    for (const l of report.layers) {
      expect(sum((r) => (r[4] === l.index ? r[2] : 0)), `layer ${l.index} visible`).toBe(l.visibleBytes);
      expect(sum((r) => (r[5] ?? []).filter((c) => c[0] === l.index).reduce((s, c) => s + c[1], 0)), `layer ${l.index} hidden`).toBe(l.hiddenBytes);
      expect(sum((r) => (r[5] ?? []).filter((c) => c[2] === l.index).reduce((s, c) => s + c[1], 0)), `layer ${l.index} hid`).toBe(l.hidBytes);
    }
  });

  it('visible bytes per category match the report categories', () => {
    const byCat = new Map<string, number>();
    for (const r of rows) if (r[2] > 0) byCat.set(r[3], (byCat.get(r[3]) ?? 0) + r[2]);
    for (const c of report.categories!) expect(byCat.get(c.id) ?? 0, c.id).toBe(c.visibleBytes);
  });
});

describe('FileListSchema', () => {
  it('still reads saved reports with the old 3-column rows, and mixed rows', () => {
    const base = JSON.parse(JSON.stringify({ ...buildReport({ ...emptyImage() }), files: { entries: [['/a', 3, 1], ['/b', 2, 2, 'app', 0], ['/c', 4, 0, 'other', null, [[0, 4, 1]]]] } }));
    const parsed = ReportSchema.parse(base);
    expect(parsed.files!.entries).toEqual([['/a', 3, 1], ['/b', 2, 2, 'app', 0], ['/c', 4, 0, 'other', null, [[0, 4, 1]]]]);
  });

  it('rejects rows that are neither shape', () => {
    for (const bad of [['/a', 3], ['/a', 3, 1, 'app'], ['/a', 3, 1, 'app', 0, [[0, 4]]], ['/a', -1, 0]]) {
      const r = ReportSchema.safeParse({ ...buildReport(emptyImage()), files: { entries: [bad] } });
      expect(r.success, JSON.stringify(bad)).toBe(false);
    }
  });
});

function emptyImage(): LoadedImage {
  return {
    source: { kind: 'docker-archive', format: 'docker-archive-legacy', ref: 'x.tar' },
    repoTags: [],
    config: { os: 'linux', architecture: 'amd64', entrypoint: null, cmd: null, env: [], labels: {}, history: [] },
    layers: [],
    warnings: [],
  } as unknown as LoadedImage;
}
