/**
 * The library's entry point: load an image from a source, then compute the report. Loading is
 * I/O; everything after `load` is pure (data in, report out).
 */
import { createDiveObserver } from './dive.js';
import { throwIfAborted } from './errors.js';
import { mapHistoryToLayers } from './image-config.js';
import type { ImageSource, LayerScan, LoadedImage, LoadOptions, Progress } from './model.js';
import type { LayerScanOptions } from './layer-scan.js';
import type { Limits } from './limits.js';
import { EntryTable } from './entry-table.js';
import { WHITEOUT_PREFIX, overlaySteps, type OverlayResult, type HiddenFile } from './overlay.js';
import { driveSteps, runSteps, STEP_MASK, topSteps, type Steps } from './steps.js';
import { Yielder } from './tar/yielder.js';
import { REPORT_SCHEMA_VERSION, type LayerReport, type Report } from './report-schema.js';
import { VERSION } from './version.js';
import { GPU_INVENTORY } from './gpu/plugin.js';
import { parseGpuTarget, type GpuTarget } from './gpu/gpu-names.js';
import { buildGpuReport, gpuFindingRules } from './gpu/report.js';
import { attributeSteps, COMPRESSION_SAMPLER, type CategoryRule } from './attribution/index.js';
import { loadSqlite } from './attribution/pkgdb/rpm-sqlite.js';
import type { SqlJsStatic } from 'sql.js';
import type { BaseImageHint } from './attribution/base-image.js';
import { fileListSteps } from './file-list.js';
import { coldStartSections } from './cold-start/analyze-hook.js';
import type { PullProfile } from './cold-start/profile.js';
import { warning, type ImgsizeWarning } from './warnings.js';

/** A metadata-only layer (no scan) counts as empty in the overlay: nothing about it is known. */
const NO_SCAN: LayerScan = { entries: new EntryTable().seal(), tarBytes: 0, contentBytes: 0, captured: [], warnings: [] };

export interface AnalyzeOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  /** Select one image when the source holds several (repo:tag, or image id prefix). */
  image?: string | undefined;
  /** How many wasted paths / dive inefficient files to list (default 25 / 1000). */
  topPaths?: number | undefined;
  maxDiveFiles?: number | undefined;
  /** Extra layer-scan options (plugins, capture limits). Default plugins: the compression sampler. */
  scan?: LayerScanOptions | undefined;
  /** Bandwidth for pull-time estimates in bit/s (default 1e9). */
  bandwidthBitsPerSecond?: number | undefined;
  /** Pull profile of the cold-start estimate (default: the built-in `docker` profile at `bandwidthBitsPerSecond`). */
  pullProfile?: PullProfile | undefined;
  /** Category rule table (default DEFAULT_CATEGORY_RULES; see loadCategoryRules). */
  rules?: readonly CategoryRule[] | undefined;
  /** Resource limits over DEFAULT_LIMITS (limits.ts, docs/RELIABILITY.md); exceeding one is E_LIMIT naming it. */
  limits?: Partial<Limits> | undefined;
  /**
   * Adds the per-path `files` section (every shipped regular-file path with its shipped and visible
   * bytes, category, layer and hidden copies), built in the same pass; for diffs and the HTML report.
   */
  includeFiles?: boolean | undefined;
  /** Layer scans to reuse across analyses (e.g. `createMemoryLayerCache()` shared by both sides of a diff). */
  layerCache?: LoadOptions['layerCache'];
  /**
   * GPUs the image is deployed on (`'sm_80,h100'`, `'none'` for CPU only; see parseGpuTarget):
   * adds the finding for kernels only other GPUs use, or for the CUDA stack of a CPU deployment.
   */
  gpu?: GpuTarget | string | undefined;
  /** The loaded sql.js module for rpmdb.sqlite (analyzeImage loads it when the image has one; see `loadSqlite`). */
  sqlite?: SqlJsStatic | undefined;
  /**
   * The base image (`--base IMAGE`): any source, whose diffIDs are matched as a prefix of this
   * image's; or the diffIDs themselves (e.g. from a Dockerfile's final FROM). Its layers become the
   * `base-image` category; default: annotations, else the first layer (a guess).
   */
  base?: ImageSource | BaseImageHint | ((image: LoadedImage) => BaseImageHint | undefined) | undefined;
  /**
   * False skips compressed-size sampling (`--no-estimate`): faster, and the report says so
   * (`summary.compressedEstimate: 'skipped'`) and carries only exact compressed figures.
   */
  estimate?: boolean | undefined;
}

/** Default scan plugins: the compression sampler and the GPU fatbin inventory. */
const DEFAULT_PLUGINS = [COMPRESSION_SAMPLER, GPU_INVENTORY];

/**
 * Loads the image from `source` and returns its full report. Progress: the source's `read`/`scan`
 * events, `analyze` between the report's stages (the loop yields and checks `signal` there), and
 * one final `done`.
 */
export async function analyzeImage(source: ImageSource, options: AnalyzeOptions = {}): Promise<Report> {
  const consumer = options.onProgress;
  let last: Progress | undefined;
  const onProgress = consumer
    ? (p: Progress): void => {
        last = p;
        consumer(p);
      }
    : undefined;
  const image = await source.load({
    signal: options.signal,
    onProgress,
    image: options.image,
    scan: { ...options.scan, plugins: options.scan?.plugins ?? (options.estimate === false ? [GPU_INVENTORY] : DEFAULT_PLUGINS) },
    limits: options.limits,
    layerCache: options.layerCache,
  });
  throwIfAborted(options.signal);
  const total = last?.totalBytes;
  // The input is read: `analyze` and `done` events carry its full byte count.
  const bytes = total ?? last?.bytes ?? 0;
  consumer?.({ phase: 'analyze', bytes, totalBytes: total });
  // sql.js (WebAssembly) starts in ~0.5 s: only for images that have an rpmdb.sqlite.
  const sqlite = options.sqlite ?? (hasRpmSqlite(image) ? await loadSqlite() : undefined);
  const base =
    typeof options.base === 'function' ? options.base(image) : options.base && 'load' in options.base ? await loadBaseHint(options.base, options) : options.base;
  // The report's stages run in steps: whenever ~20 ms of work has passed, yield to the event loop,
  // check the signal and report progress (steps.ts; no stall over 50 ms, issue 11).
  const yielder = new Yielder(options.signal, () => consumer?.({ phase: 'analyze', bytes, totalBytes: total }));
  const report = await driveSteps(reportSteps(image, { ...options, sqlite, base }), yielder);
  consumer?.({ phase: 'done', bytes, totalBytes: total });
  return options.estimate === false ? withoutEstimates(report) : report;
}

/** Loads a base image for its diffIDs only (no capture, no sampling). */
async function loadBaseHint(source: ImageSource, options: AnalyzeOptions): Promise<BaseImageHint> {
  const b = await source.load({ signal: options.signal, limits: options.limits, scan: { capture: () => false, plugins: [] } });
  return {
    diffIds: b.layers.map((l) => l.diffId),
    name: b.repoTags[0] ?? b.source.ref,
    ...(b.manifestDigest !== undefined && { digest: b.manifestDigest }),
    method: 'option',
  };
}

/** True when some layer captured an rpmdb.sqlite (reading it needs sql.js). */
export function hasRpmSqlite(image: LoadedImage): boolean {
  return image.layers.some((l) => l.scan?.captured.some((c) => c.path.endsWith('/rpmdb.sqlite')));
}

/** Computes the report of an already loaded image (pure). */
export function buildReport(
  image: LoadedImage,
  options: Pick<AnalyzeOptions, 'topPaths' | 'maxDiveFiles' | 'bandwidthBitsPerSecond' | 'rules' | 'includeFiles' | 'sqlite' | 'estimate' | 'pullProfile' | 'gpu'> & { base?: BaseImageHint | undefined } = {},
): Report {
  const report = runSteps(reportSteps(image, options));
  return options.estimate === false ? withoutEstimates(report) : report;
}

/**
 * The report of an analysis that skipped compressed-size sampling: labelled, and stripped of every
 * compressed figure that is not exact (they would be class priors, not measurements). Findings
 * keep their required `compressedBytes`, which renderers do not show when the label is present.
 */
function withoutEstimates(r: Report): Report {
  const exact = r.summary.compressedBytes !== undefined && r.summary.compressedBytesExact === true;
  if (exact) return { ...r, summary: { ...r.summary, compressedEstimate: 'skipped' } };
  const { pullSeconds: _p, potentialSavingsCompressedBytes: _c, potentialSavingsPullSeconds: _s, compressedBytes: _b, compressedBytesExact: _e, ...summary } = r.summary;
  const dropC = <T extends { compressedBytes?: number | undefined }>(x: T): T => {
    const { compressedBytes: _x, ...rest } = x;
    return rest as T;
  };
  return {
    ...r,
    summary: { ...summary, compressedEstimate: 'skipped' },
    layers: r.layers.map((l) => (l.compressedBytesExact ? l : dropC(l))),
    waste: { ...r.waste, topPaths: r.waste.topPaths.map(dropC) },
    ...(r.categories && { categories: r.categories.map(dropC) }),
    ...(r.packages && { packages: { ...r.packages, packages: r.packages.packages.map(dropC) } }),
    pull: undefined,
  };
}

/**
 * buildReport in steps (steps.ts): every stage pauses inside its loops, so analyzeImage can yield
 * to the event loop, check the signal and report progress mid-stage; buildReport runs it at once.
 */
function* reportSteps(
  image: LoadedImage,
  options: Pick<AnalyzeOptions, 'topPaths' | 'maxDiveFiles' | 'bandwidthBitsPerSecond' | 'rules' | 'includeFiles' | 'sqlite' | 'gpu'> & { base?: BaseImageHint | undefined },
): Steps<Report> {
  const gpuTarget = typeof options.gpu === 'string' ? parseGpuTarget(options.gpu) : options.gpu;
  const scans = image.layers.map((l) => l.scan ?? NO_SCAN);
  const diveObserver = createDiveObserver(scans);
  const overlay = yield* overlaySteps(
    scans.map((s) => s.entries),
    diveObserver.observer,
  );
  const dive = yield* diveObserver.finish();
  const mapping = mapHistoryToLayers(image.config.history, image.layers.length);
  const layers = yield* layerReportSteps(image, overlay, mapping.layerHistory);
  const attribution = yield* attributeSteps(image, overlay, {
    bandwidthBitsPerSecond: options.bandwidthBitsPerSecond,
    rules: options.rules,
    historyMapping: mapping,
    extraFindingRules: gpuFindingRules(gpuTarget),
    sqlite: options.sqlite,
    baseImage: options.base,
  });
  yield;
  const gpu = buildGpuReport(attribution.analyzed, gpuTarget);
  yield;
  layers.forEach((l, i) => {
    l.categories = attribution.layerCategories[i] ?? {};
  });
  const topN = options.topPaths ?? 25;
  const maxDive = options.maxDiveFiles ?? 1000;
  const topHidden = yield* topSteps<HiddenFile>(overlay.hidden, topN, (a, b) => b.size - a.size || cmp(a.path, b.path));
  const compressedKnown = layers.every((l) => l.compressedBytes !== undefined);
  const warnings: ImgsizeWarning[] = [...image.warnings, ...mapping.warnings.map((w) => warning('W_HISTORY', w))];
  image.layers.forEach((l) => {
    for (const w of l.scan?.warnings ?? []) warnings.push(warning(w.code, w.message, l.index));
  });
  warnings.push(...attribution.warnings);
  const entries = layers.reduce((s, l) => s + l.entries, 0);
  const files = layers.reduce((s, l) => s + l.files, 0);
  const cfg = image.config;
  const cold = coldStartSections(image, layers, attribution.findings, mapping.historyLayer, options);
  warnings.push(...cold.warnings);
  const fileList = options.includeFiles ? yield* fileListSteps(attribution.analyzed.files) : undefined;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'imgsize', version: VERSION },
    image: {
      ref: image.source.ref,
      source: reportedSource(image.source),
      repoTags: image.repoTags,
      os: cfg.os,
      architecture: cfg.architecture,
      ...(attribution.osRelease && { osRelease: attribution.osRelease }),
      ...(cfg.variant !== undefined && { variant: cfg.variant }),
      ...(cfg.created !== undefined && { created: cfg.created }),
      ...(image.configDigest !== undefined && { configDigest: image.configDigest }),
      ...(image.manifestDigest !== undefined && { manifestDigest: image.manifestDigest }),
      entrypoint: cfg.entrypoint,
      cmd: cfg.cmd,
      ...(cfg.workingDir ? { workingDir: cfg.workingDir } : {}),
      ...(cfg.user ? { user: cfg.user } : {}),
      env: cfg.env,
      labels: cfg.labels,
    },
    summary: {
      layers: layers.length,
      emptyLayers: layers.filter((l) => l.empty).length,
      historyEntries: cfg.history.length,
      entries,
      files,
      contentBytes: overlay.shippedBytes,
      tarBytes: layers.reduce((s, l) => s + l.tarBytes, 0),
      visibleBytes: overlay.visibleBytes,
      wastedBytes: overlay.shippedBytes - overlay.visibleBytes,
      overwrittenBytes: overlay.overwrittenBytes,
      deletedBytes: overlay.deletedBytes,
      ...(compressedKnown && {
        compressedBytes: layers.reduce((s, l) => s + (l.compressedBytes ?? 0), 0),
        compressedBytesExact: layers.every((l) => l.compressedBytesExact),
      }),
      pullSeconds: attribution.pull.seconds,
      potentialSavingsBytes: attribution.savings.bytes,
      potentialSavingsCompressedBytes: attribution.savings.compressedBytes,
      potentialSavingsPullSeconds: attribution.savings.pullSeconds,
    },
    layers,
    history: cfg.history.map((h, i) => ({
      index: i,
      createdBy: h.createdBy,
      ...(h.created !== undefined && { created: h.created }),
      ...(h.comment !== undefined && { comment: h.comment }),
      emptyLayer: h.emptyLayer,
      layerIndex: mapping.historyLayer[i] ?? null,
    })),
    waste: {
      overwrittenBytes: overlay.overwrittenBytes,
      deletedBytes: overlay.deletedBytes,
      hiddenFiles: overlay.hidden.length,
      topPaths: topHidden.map((h) => ({
        path: `/${h.path}`,
        bytes: h.size,
        ...(h.csize !== undefined && { compressedBytes: Math.round(h.csize) }),
        layer: h.layer,
        hiddenBy: h.hiddenBy,
        reason: h.reason,
      })),
    },
    dive: {
      efficiency: dive.efficiency,
      wastedBytes: dive.wastedBytes,
      userWastedPercent: dive.userWastedPercent,
      imageSizeBytes: dive.imageSizeBytes,
      userSizeBytes: dive.userSizeBytes,
      inefficientFileCount: dive.inefficientFiles.length,
      inefficientFiles: dive.inefficientFiles.slice(0, maxDive),
    },
    categories: attribution.categories,
    baseImage: attribution.baseImage,
    packages: attribution.packages,
    findings: attribution.findings,
    ...(gpu && { gpu }),
    pull: attribution.pull,
    directories: attribution.directories,
    ...(fileList && { files: fileList }),
    ...(cold.coldStart && { coldStart: cold.coldStart }),
    buildTime: cold.buildTime,
    warnings,
  };
}

function* layerReportSteps(image: LoadedImage, overlay: OverlayResult, layerHistory: (number | null)[]): Steps<LayerReport[]> {
  const out: LayerReport[] = [];
  for (const [i, l] of image.layers.entries()) {
    let files = 0;
    const t = l.scan?.entries;
    for (let j = 0; t !== undefined && j < t.length; j++) {
      if ((j & STEP_MASK) === STEP_MASK) yield;
      if (t.isFile(j) && !t.name(j).startsWith(WHITEOUT_PREFIX)) files++;
    }
    const hi = layerHistory[i] ?? null;
    const h = hi === null ? undefined : image.config.history[hi];
    const st = overlay.layers[i]!;
    const exact = l.compressedSize !== undefined;
    const est = l.scan?.estimatedCompressedBytes;
    const compressedBytes = exact ? l.compressedSize : est === undefined ? undefined : Math.round(est);
    out.push({
      index: i,
      diffId: l.diffId,
      ...(l.digest !== undefined && { digest: l.digest }),
      ...(l.mediaType !== undefined && { mediaType: l.mediaType }),
      compression: l.compression,
      ...(compressedBytes !== undefined && { compressedBytes }),
      compressedBytesExact: exact,
      historyIndex: hi,
      instruction: h ? h.createdBy : null,
      ...(h?.created !== undefined && { created: h.created }),
      // a layer without a scan (metadata only): "empty" would be a guess
      empty: l.scan !== undefined && l.scan.entries.length === 0,
      contentBytes: l.scan?.contentBytes ?? 0,
      tarBytes: l.scan?.tarBytes ?? 0,
      entries: l.scan?.entries.length ?? 0,
      files,
      visibleBytes: st.visibleBytes,
      hiddenBytes: st.hiddenBytes,
      hidBytes: st.hidBytes,
    });
  }
  return out;
}

/** The report's SourceInfo: the model's, without the readers' internal `fastPath` flag. */
function reportedSource(s: LoadedImage['source']): Report['image']['source'] {
  const { fastPath: _internal, ...reported } = s;
  return reported;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
