/**
 * Hand-built analyze reports for diff and budget tests: only the numbers a test cares about are
 * given, the rest is filled consistently (summary sums the layers and files).
 */
import { REPORT_SCHEMA_VERSION, type Report } from '../../packages/core/src/report-schema.js';

export interface LayerSpec {
  diffId: string;
  bytes: number;
  compressed?: number;
  instruction?: string;
}

export interface ReportSpec {
  ref?: string;
  tag?: string;
  layers: LayerSpec[];
  /** [path, shipped, visible] rows; when given, `files` is set and summary bytes come from it. */
  files?: [string, number, number][];
  categories?: { id: string; bytes: number; visible?: number }[];
  packages?: { manager: 'dpkg' | 'pip' | 'conda'; name: string; version?: string; bytes: number }[];
  findings?: { id: string; bytes: number; title?: string }[];
  dive?: Partial<Report['dive']>;
  compressedExact?: boolean;
  pull?: { bandwidth: number };
}

export function makeReport(spec: ReportSpec): Report {
  const contentBytes = spec.layers.reduce((s, l) => s + l.bytes, 0);
  const visibleBytes = spec.files ? spec.files.reduce((s, f) => s + f[2], 0) : contentBytes;
  const fileCount = spec.files?.length ?? spec.layers.length;
  const haveCompressed = spec.layers.every((l) => l.compressed !== undefined);
  const compressedBytes = haveCompressed ? spec.layers.reduce((s, l) => s + l.compressed!, 0) : undefined;
  const exact = spec.compressedExact ?? true;
  const ref = spec.ref ?? 'image.tar';
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'imgsize', version: '0.0.0-test' },
    image: {
      ref,
      source: { kind: 'docker-archive', format: 'docker-archive-legacy', ref },
      repoTags: spec.tag ? [spec.tag] : [],
      os: 'linux',
      architecture: 'amd64',
      entrypoint: null,
      cmd: null,
      env: [],
      labels: {},
    },
    summary: {
      layers: spec.layers.length,
      emptyLayers: spec.layers.filter((l) => l.bytes === 0).length,
      historyEntries: spec.layers.length,
      entries: fileCount,
      files: fileCount,
      contentBytes,
      tarBytes: contentBytes + 1024 * spec.layers.length,
      visibleBytes,
      wastedBytes: contentBytes - visibleBytes,
      overwrittenBytes: 0,
      deletedBytes: contentBytes - visibleBytes,
      ...(compressedBytes !== undefined && { compressedBytes, compressedBytesExact: exact }),
    },
    layers: spec.layers.map((l, i) => ({
      index: i,
      diffId: l.diffId,
      compression: 'gzip' as const,
      ...(l.compressed !== undefined && { compressedBytes: l.compressed }),
      compressedBytesExact: exact,
      historyIndex: i,
      instruction: l.instruction ?? `RUN step ${i}`,
      empty: l.bytes === 0,
      contentBytes: l.bytes,
      tarBytes: l.bytes + 1024,
      entries: 1,
      files: 1,
      visibleBytes: l.bytes,
      hiddenBytes: 0,
      hidBytes: 0,
    })),
    history: spec.layers.map((l, i) => ({ index: i, createdBy: l.instruction ?? `RUN step ${i}`, emptyLayer: false, layerIndex: i })),
    waste: { overwrittenBytes: 0, deletedBytes: contentBytes - visibleBytes, hiddenFiles: 0, topPaths: [] },
    dive: {
      efficiency: 1,
      wastedBytes: 0,
      userWastedPercent: 0,
      imageSizeBytes: contentBytes,
      userSizeBytes: contentBytes - (spec.layers[0]?.bytes ?? 0),
      inefficientFileCount: 0,
      inefficientFiles: [],
      ...spec.dive,
    },
    ...(spec.categories && {
      categories: spec.categories.map((c) => ({
        id: c.id,
        label: c.id.replace(/-/g, ' '),
        bytes: c.bytes,
        visibleBytes: c.visible ?? c.bytes,
        wastedBytes: c.bytes - (c.visible ?? c.bytes),
        files: 1,
      })),
    }),
    ...(spec.packages && {
      packages: {
        packages: spec.packages.map((p) => ({
          manager: p.manager,
          name: p.name,
          ...(p.version !== undefined && { version: p.version }),
          layer: 0,
          visibleBytes: p.bytes,
          files: 1,
          wastedBytes: 0,
        })),
        unownedBytes: 0,
        unownedFiles: 0,
        managers: Object.fromEntries(
          [...new Set(spec.packages.map((p) => p.manager))].map((m) => [
            m,
            {
              packages: spec.packages!.filter((p) => p.manager === m).length,
              visibleBytes: spec.packages!.filter((p) => p.manager === m).reduce((s, p) => s + p.bytes, 0),
            },
          ]),
        ),
      },
    }),
    ...(spec.findings && {
      findings: spec.findings.map((f) => ({
        id: f.id,
        title: f.title ?? f.id,
        severity: 'medium' as const,
        confidence: 'certain' as const,
        bytes: f.bytes,
        compressedBytes: Math.round(f.bytes / 2),
        pullSeconds: 0,
        layers: [0],
        instruction: null,
        evidence: [],
        fix: 'fix it',
        countedInSavings: true,
      })),
    }),
    ...(spec.pull &&
      compressedBytes !== undefined && {
        pull: {
          bandwidthBitsPerSecond: spec.pull.bandwidth,
          compressedBytes,
          compressedBytesExact: exact,
          seconds: (compressedBytes * 8) / spec.pull.bandwidth,
          afterFixesCompressedBytes: compressedBytes,
          afterFixesSeconds: (compressedBytes * 8) / spec.pull.bandwidth,
        },
      }),
    ...(spec.files && { files: { entries: [...spec.files].sort((a, b) => (a[0] < b[0] ? -1 : 1)) } }),
    warnings: [],
  };
}
