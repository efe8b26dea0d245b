/**
 * Attribution: where the bytes of an image go (categories, packages, directories), what they
 * cost to pull, and what could be saved (findings). `attribute` is pure: a loaded image and its
 * overlay in, report sections out.
 */
import { ImgsizeError } from '../errors.js';
import { mapHistoryToLayers, type HistoryMapping } from '../image-config.js';
import type { LoadedImage } from '../model.js';
import type { FsNode, OverlayResult, VisibleFile } from '../overlay.js';
import { FILE_TYPE_CODE } from '../entry-table.js';
import type { CategoryReport, DirectoryReport, Finding, PackagesReport, PullReport } from '../report-schema.js';
import { compileRules, resolveAppDirs } from './categorize.js';
import { ENTRY_COST, priorCsize, priorCsizeIn } from './compressed-size.js';
import { directoriesSteps } from './directories.js';
import { DEFAULT_FINDING_RULES, findingsSteps, type FindingRule } from './findings.js';
import type { AnalyzedImage, ShippedFile } from './analyzed-image.js';
import { attributePackagesSteps } from './packages.js';
import type { OsRelease } from './pkgdb/collect.js';
import type { PkgdbCode } from './pkgdb/errors.js';
import { detectBaseImage, type BaseImageHint, type BaseImageInfo } from './base-image.js';
import type { SqlJsStatic } from 'sql.js';
import { DEFAULT_CATEGORY_RULES, ownerKey, type CategoryRule } from './rules.js';
import { warning, type ImgsizeWarning, type WarningCode } from '../warnings.js';
import { runSteps, STEP_MASK, type Steps } from '../steps.js';

export { categorize, resolveAppDirs, type CategorizeContext } from './categorize.js';
export {
  createCompressionSampler,
  COMPRESSION_SAMPLER,
  sampleRanges,
  contentClassOf,
  SAMPLING_SCHEDULE,
  type CompressionSamplerOptions,
  type ContentClass,
} from './compressed-size.js';
export {
  loadCategoryRules,
  DEFAULT_CATEGORY_RULES,
  DEFAULT_APP_DIRS,
  CATEGORY_IDS,
  CATEGORY_LABELS,
  ownerKey,
  type CategoryRule,
  type CategoryInfo,
  type BuiltinCategoryId,
} from './rules.js';
export { DEFAULT_FINDING_RULES, runFindings, type FindingRule, type Candidate } from './findings.js';
export { attributePackages, parseDpkgStatus, parseRecord, type PackageAttribution } from './packages.js';
export { biggestDirectories, type DirectoryOptions } from './directories.js';
export type { AnalyzedImage, ShippedFile } from './analyzed-image.js';

/** 1 Gbit/s: the default bandwidth for pull-time estimates. */
export const DEFAULT_BANDWIDTH_BITS_PER_SECOND = 1e9;

export interface AttributeOptions {
  /** Bandwidth for pull-time estimates, in bit/s (default 1e9 = 1 Gbit/s). */
  bandwidthBitsPerSecond?: number | undefined;
  /** Category rule table (default DEFAULT_CATEGORY_RULES; see loadCategoryRules). */
  rules?: readonly CategoryRule[] | undefined;
  /** Application directories (default /app, /srv, /opt/app, /workspace; WorkingDir is added). */
  appDirs?: readonly string[] | undefined;
  /** Findings smaller than this are not reported (default min(1 MiB, 0.05% of shipped bytes)). */
  minFindingBytes?: number | undefined;
  /** The image's history → layer mapping, when the caller already computed it (buildReport does). */
  historyMapping?: HistoryMapping | undefined;
  /** Findings rules run after the default ones (e.g. the GPU target's, gpu/report.ts). */
  extraFindingRules?: readonly FindingRule[] | undefined;
  /** Directory listing: deepest level (default 4) and how many (default 25). */
  directoryDepth?: number | undefined;
  topDirectories?: number | undefined;
  /** The loaded sql.js module (`loadSqlite()`), to read an rpmdb.sqlite (default: the module if already loaded). */
  sqlite?: SqlJsStatic | undefined;
  /** The base image's diffIDs (from `--base IMAGE` or a Dockerfile's FROM); default: annotations, else the first layer. */
  baseImage?: BaseImageHint | undefined;
}

export interface Attribution {
  categories: CategoryReport[];
  /** Per layer: shipped bytes per category id (categories with bytes only). */
  layerCategories: Array<Record<string, number>>;
  packages: PackagesReport;
  findings: Finding[];
  pull: PullReport;
  savings: { bytes: number; compressedBytes: number; pullSeconds: number };
  directories: DirectoryReport[];
  /** The OS named by the final filesystem's os-release. */
  osRelease: OsRelease | undefined;
  /** The base image's layers (the `base-image` category) and how they were found. */
  baseImage: BaseImageInfo;
  /** Every shipped regular file, categorized and owned (the per-path rows are built from it). */
  analyzed: AnalyzedImage;
  warnings: ImgsizeWarning[];
}

/** The report warning code of a package-database reader's code. */
function reportCodeOf(code: PkgdbCode): WarningCode {
  switch (code) {
    case 'E_RPM_HEADER':
    case 'E_RPMDB_SQLITE':
    case 'E_RPMDB_BDB':
    case 'E_RPMDB_NDB':
      return 'W_RPMDB';
    case 'E_APK_DB':
      return 'W_APK_DB';
    case 'E_NPM_PACKAGE':
      return 'W_NPM_PACKAGE';
    case 'E_PKGDB_LIMIT':
      return 'W_PKGDB_LIMIT';
    case 'E_PKGDB_TRUNCATED':
      return 'W_PACKAGE_DB';
  }
}

/** Environment variables that relocate caches, and the category of what lives below them. */
const ENV_CACHE_DIRS: ReadonlyArray<readonly [string, string, string]> = [
  ['HF_HOME', 'hf-cache', ''],
  ['HF_HUB_CACHE', 'hf-cache', ''],
  ['HUGGINGFACE_HUB_CACHE', 'hf-cache', ''],
  ['TRANSFORMERS_CACHE', 'hf-cache', ''],
  ['TORCH_HOME', 'hf-cache', '/hub'],
  ['PIP_CACHE_DIR', 'pip-cache', ''],
  ['UV_CACHE_DIR', 'other-caches', ''],
  ['POETRY_CACHE_DIR', 'other-caches', '/{cache,artifacts}'],
  ['NPM_CONFIG_CACHE', 'other-caches', '/_cacache'],
  ['npm_config_cache', 'other-caches', '/_cacache'],
  ['YARN_CACHE_FOLDER', 'other-caches', ''],
  ['CONDA_PKGS_DIRS', 'conda-cache', ''],
  ['XDG_CACHE_HOME', 'pip-cache', '/pip'],
  ['XDG_CACHE_HOME', 'other-caches', '/{uv,yarn,pnpm,pypoetry/cache,pypoetry/artifacts}'],
  ['XDG_CACHE_HOME', 'hf-cache', '/{huggingface,torch/hub}'],
];

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]{}\\,]/g, '\\$&');
}

/** Rules for cache directories the image's environment names (matched before the table). */
export function envCacheRules(env: ReadonlyMap<string, string>): CategoryRule[] {
  const out: CategoryRule[] = [];
  for (const [key, category, sub] of ENV_CACHE_DIRS) {
    const v = env.get(key);
    if (!v) continue;
    for (const dir of key === 'CONDA_PKGS_DIRS' ? v.split(',') : [v]) {
      const d = dir.trim().replace(/\/+$/, '');
      // Relative paths and `/` itself name no cache directory.
      if (!d.startsWith('/')) continue;
      out.push({ category, match: `${escapeGlob(d)}${sub}/**` });
    }
  }
  return out;
}

function envMap(env: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env) {
    const i = kv.indexOf('=');
    if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
  }
  return m;
}

/** The analyzed image (every shipped file categorized, owned and costed) plus what it took. */
export interface Prepared {
  analyzed: AnalyzedImage;
  packages: PackagesReport;
  labels: ReadonlyMap<string, string>;
  /** Compressed bytes of each layer blob (exact, estimated, or a prior-only guess). */
  layerCompressed: number[];
  osRelease: OsRelease | undefined;
  baseImage: BaseImageInfo;
  warnings: ImgsizeWarning[];
}

/** Builds the AnalyzedImage the findings rules read (categories, owners, scaled compressed sizes). */
export function prepareAttribution(
  image: LoadedImage,
  overlay: OverlayResult,
  options: Pick<AttributeOptions, 'rules' | 'appDirs' | 'historyMapping' | 'sqlite' | 'baseImage'> = {},
): Prepared {
  return runSteps(prepareSteps(image, overlay, options));
}

/** prepareAttribution in steps (steps.ts). */
function* prepareSteps(
  image: LoadedImage,
  overlay: OverlayResult,
  options: Pick<AttributeOptions, 'rules' | 'appDirs' | 'historyMapping' | 'sqlite' | 'baseImage'> = {},
): Steps<Prepared> {
  let work = 0;
  const warnings: ImgsizeWarning[] = [];
  const env = envMap(image.config.env);
  const mapping = options.historyMapping ?? mapHistoryToLayers(image.config.history, image.layers.length);
  const instructions = mapping.layerHistory.map((hi) => (hi === null ? null : (image.config.history[hi]?.createdBy ?? null)));

  // Compressed size per layer (exact blob size, else the sampler's estimate, else a prior-only
  // guess), and the factor that scales per-file estimates so they add up to it.
  const layerCompressed: number[] = [];
  const factor: number[] = [];
  const unestimated: number[] = [];
  for (const [i, l] of image.layers.entries()) {
    let files = 0;
    let others = 0;
    let anyBytes = false;
    const t = l.scan?.entries;
    for (let j = 0; t !== undefined && j < t.length; j++) {
      if ((++work & STEP_MASK) === 0) yield;
      if (t.typeCodes[j] === FILE_TYPE_CODE) {
        const c = t.csizes[j]!;
        files += Number.isNaN(c) ? priorCsizeIn(t.dirs[t.dirOf[j]!]!, t.names[j]!, t.sizes[j]!) : c;
        if (t.sizes[j]! > 0) anyBytes = true;
      } else others += ENTRY_COST.header;
    }
    let total = l.compressedSize ?? l.scan?.estimatedCompressedBytes;
    if (total === undefined) {
      if (anyBytes) unestimated.push(i);
      total = files + others + ENTRY_COST.stream;
    }
    layerCompressed.push(total);
    factor.push(files > 0 ? total / files : 0);
  }
  if (unestimated.length > 0) {
    warnings.push(warning('W_NO_ESTIMATE', `no compression estimate for layer(s) ${unestimated.join(', ')} (the sampler did not run); compressed sizes there are rough guesses`));
  }
  // Each layer's scale goes on its LayerRef, where a visible file reads it (VisibleFile.csize);
  // the package owners' compressed bytes are read the same way. File nodes are VisibleFiles.
  const visible = overlay.visible;
  for (let i = 0; i < visible.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const v = visible[i]!;
    v.ref.scale = factor[v.layer];
  }
  const csizeOf = (n: FsNode): number => (n as VisibleFile).csize;

  const pkgs = yield* attributePackagesSteps(image, overlay, csizeOf, { sqlite: options.sqlite });
  warnings.push(...pkgs.warnings.map((w) => warning('W_PACKAGE_DB', w)));
  warnings.push(...pkgs.codedWarnings.map((w) => warning(reportCodeOf(w.code), `${w.source}: ${w.message} (${w.code})`)));

  // Every shipped regular file, categorized.
  const baseRules = options.rules ?? DEFAULT_CATEGORY_RULES;
  const envRules = envCacheRules(env);
  const rules = envRules.length > 0 ? [...envRules, ...baseRules] : baseRules;
  const baseImage = detectBaseImage(image, options.baseImage);
  if (baseImage.note && !baseImage.guessed) warnings.push(warning('W_BASE_IMAGE', `base image: ${baseImage.note}`));
  const compiled = compileRules(rules, resolveAppDirs(options.appDirs, image.config.workingDir), baseImage.layers);
  const classify = compiled.classifier();
  // Arrays of a known length are allocated once (no growth copies: memory per entry, issue 16).
  const files = new Array<ShippedFile>(overlay.visible.length + overlay.hidden.length);
  let nf = 0;
  const catOf = (path: string, layer: number, owner: { manager: string; name: string } | undefined): string =>
    compiled.categories[classify(path, layer, owner ? ownerKey(owner.manager, owner.name) : undefined)]!.id;
  for (let i = 0; i < visible.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    // The visible file is its own row (overlay.ts VisibleFile): packages set its owner.
    const v = visible[i]!;
    v.category = catOf(v.path, v.layer, v.owner);
    files[nf++] = v;
  }
  const hidden = overlay.hidden;
  for (let i = 0; i < hidden.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const h = hidden[i]!;
    const owner = pkgs.hiddenOwner.get(h);
    files[nf++] = {
      path: h.path,
      layer: h.layer,
      size: h.size,
      csize: (h.csize ?? priorCsize(h.path, h.size)) * factor[h.layer]!,
      visible: false,
      hiddenBy: h.hiddenBy,
      reason: h.reason,
      category: catOf(h.path, h.layer, owner),
      owner,
    };
  }
  const counts = new Map<string, number>();
  for (let i = 0; i < files.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const c = files[i]!.category;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const byCategory = new Map<string, ShippedFile[]>();
  const filled = new Map<string, number>();
  for (const [c, n] of counts) {
    byCategory.set(c, new Array<ShippedFile>(n));
    filled.set(c, 0);
  }
  for (let i = 0; i < files.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const f = files[i]!;
    const at = filled.get(f.category)!;
    byCategory.get(f.category)![at] = f;
    filled.set(f.category, at + 1);
  }
  const analyzed: AnalyzedImage = { image, files, byCategory, categories: compiled.categories, packages: pkgs.report.packages, instructions, env, baseLayers: baseImage.layers };
  return { analyzed, packages: pkgs.report, labels: new Map(compiled.categories.map((c) => [c.id, c.label])), layerCompressed, osRelease: pkgs.osRelease, baseImage, warnings };
}

/** Computes categories, packages, findings, pull estimate and directories of a loaded image. */
export function attribute(image: LoadedImage, overlay: OverlayResult, options: AttributeOptions = {}): Attribution {
  return runSteps(attributeSteps(image, overlay, options));
}

/** attribute in steps (steps.ts): pauses inside every per-file loop and between findings rules. */
export function* attributeSteps(image: LoadedImage, overlay: OverlayResult, options: AttributeOptions = {}): Steps<Attribution> {
  const bandwidth = options.bandwidthBitsPerSecond ?? DEFAULT_BANDWIDTH_BITS_PER_SECOND;
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth)) {
    throw new ImgsizeError('E_USAGE', `bandwidth must be a positive number of bit/s, got ${bandwidth}`);
  }
  const { analyzed, packages, labels, layerCompressed, osRelease, baseImage, warnings } = yield* prepareSteps(image, overlay, options);
  const files = analyzed.files;

  // Categories, overall and per layer.
  const agg = new Map<string, { bytes: number; visible: number; wasted: number; compressed: number; files: number }>();
  const layerCategories: Array<Record<string, number>> = image.layers.map(() => ({}));
  let work = 0;
  for (let i = 0; i < files.length; i++) {
    if ((++work & STEP_MASK) === 0) yield;
    const f = files[i]!;
    let a = agg.get(f.category);
    if (!a) agg.set(f.category, (a = { bytes: 0, visible: 0, wasted: 0, compressed: 0, files: 0 }));
    a.bytes += f.size;
    a.files++;
    a.compressed += f.csize;
    if (f.visible) a.visible += f.size;
    else a.wasted += f.size;
    if (f.size > 0) {
      const lc = layerCategories[f.layer]!;
      lc[f.category] = (lc[f.category] ?? 0) + f.size;
    }
  }
  const categories: CategoryReport[] = [...agg]
    .map(([id, a]) => ({
      id,
      label: id === 'base-image' && baseImage.guessed && labels.get(id) === 'Base image' ? 'Base image (first layer, a guess)' : (labels.get(id) ?? id),
      bytes: a.bytes,
      visibleBytes: a.visible,
      wastedBytes: a.wasted,
      compressedBytes: Math.round(a.compressed),
      files: a.files,
    }))
    .sort((a, b) => b.bytes - a.bytes || (a.id < b.id ? -1 : 1));

  // Findings and savings.
  const fr = yield* findingsSteps(
    analyzed,
    { bandwidthBitsPerSecond: bandwidth, minBytes: options.minFindingBytes },
    options.extraFindingRules ? [...DEFAULT_FINDING_RULES, ...options.extraFindingRules] : DEFAULT_FINDING_RULES,
  );

  // Pull estimate.
  // Rounded per layer, as the layer reports are, so pull.compressedBytes = summary.compressedBytes (issue 11).
  const compressedBytes = layerCompressed.reduce((s, n) => s + Math.round(n), 0);
  const exact = image.layers.length > 0 && image.layers.every((l) => l.compressedSize !== undefined);
  const after = Math.max(0, compressedBytes - fr.savings.compressedBytes);
  const pull: PullReport = {
    bandwidthBitsPerSecond: bandwidth,
    compressedBytes,
    compressedBytesExact: exact,
    seconds: (compressedBytes * 8) / bandwidth,
    afterFixesCompressedBytes: after,
    afterFixesSeconds: (after * 8) / bandwidth,
  };

  const directories = yield* directoriesSteps(overlay.root, { maxDepth: options.directoryDepth, top: options.topDirectories });
  return { categories, layerCategories, packages, findings: fr.findings, pull, savings: fr.savings, directories, osRelease, baseImage, analyzed, warnings };
}
