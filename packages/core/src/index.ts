/**
 * @imgsize/core public API: every export is listed here by name.
 */
export { analyzeImage, buildReport, type AnalyzeOptions } from './analyze.js';
export { openDockerArchive, type ArchiveInput } from './sources/docker-archive.js';
export { ImgsizeError, isImgsizeError, ERROR_CODES, type ErrorCode } from './errors.js';
export { DEFAULT_LIMITS, LIMIT_NAMES, resolveLimits, type Limits } from './limits.js';
export {
  ReportSchema,
  REPORT_SCHEMA_VERSION,
  reportJsonSchema,
  type Report,
  type LayerReport,
  type HistoryReport,
  type Summary,
  type WastedPath,
  type DiveReport,
  type CategoryReport,
  type PackageReport,
  type PackagesReport,
  type Finding,
  type PullReport,
  type DirectoryReport,
  FileListSchema,
  FileRowSchema,
  LegacyFileRowSchema,
  HiddenCopySchema,
  type FileList,
  type FileRow,
  type LegacyFileRow,
  type HiddenCopy,
} from './report-schema.js';
export type {
  ImageSource,
  LoadedImage,
  LoadedLayer,
  LayerScan,
  ScannedEntry,
  CapturedFile,
  ImageConfigInfo,
  HistoryEntry,
  LoadOptions,
  Progress,
  SourceKind,
  SourceFormat,
  SourceInfo,
  BlobCompression,
} from './model.js';
export { applyOverlay, classifyWhiteout, resolveNode, lookupNode, type OverlayResult, type HiddenFile, type VisibleFile, type FsNode } from './overlay.js';
export { computeDiveMetrics, type DiveMetrics } from './dive.js';
export { scanLayerStream, createLayerSink, type LayerScanOptions, type LayerScanPlugin } from './layer-scan.js';
export { cleanPath, pathHazards, type PathHazard } from './paths.js';
export { VERSION } from './version.js';
export { openSource, type OpenSourceOptions } from './sources/open-source.js';
export { openRegistry, type RegistrySourceOptions } from './sources/registry.js';
export { parseRegistryRef, formatRegistryRef, type RegistryRef } from './sources/registry-ref.js';
export type { RegistryClientOptions } from './sources/registry-client.js';
export type { RegistryCredentials } from './sources/registry-auth.js';
export type { RetryOptions } from './sources/registry-http.js';
export { openDaemon, resolveDaemonEndpoint, type DaemonSourceOptions } from './sources/daemon.js';
export { openOciLayout, type OciLayoutOptions } from './sources/oci-layout.js';
export { createLayerCache, createMemoryLayerCache, defaultCacheDir, scanVariant, type LayerCache, type CachedLayer, type LayerCacheOptions } from './layer-cache.js';
export { hostPlatform, parsePlatform } from './oci-index.js';
export { parseSize, tryParseSize } from './sizes.js';
export { diffReports, type DiffOptions, type DiffSideInfo } from './diff/diff.js';
export {
  DiffReportSchema,
  DIFF_SCHEMA_VERSION,
  diffReportJsonSchema,
  type DiffReport,
  type DiffSide,
  type DiffTotals,
  type MetricDelta,
  type OptionalMetricDelta,
  type DiffLayer,
  type CategoryDelta,
  type PackageDelta,
  type PathDelta,
  type DirectoryDelta,
  type FindingRef,
} from './diff/diff-schema.js';
export { looksLikeJson, parseSavedReport, validateSavedReport } from './diff/saved-report.js';
export { BudgetsSchema, BudgetResultSchema, BudgetRuleResultSchema, type Budgets, type BudgetsInput, type BudgetResult, type BudgetRuleResult } from './budgets/budget-schema.js';
export { parseBudgets, validateBudgets, type ParsedBudgets } from './budgets/parse-budgets.js';
export { parseDiveCi, DIVE_CI_DEFAULTS } from './budgets/dive-ci.js';
export { evaluateBudgets, type EvaluateBudgetsOptions } from './budgets/evaluate.js';
export {
  attribute,
  createCompressionSampler,
  loadCategoryRules,
  DEFAULT_CATEGORY_RULES,
  categorize,
  type CategoryRule,
  type AttributeOptions,
  type Attribution,
} from './attribution/index.js';
export { parseGpuTarget, gpuNames, smName, sassRunsOn, GPU_ARCHS, type GpuTarget } from './gpu/gpu-names.js';
export { inspectElfAt, ElfStreamInspector, summarizeInventory, type ElfGpuInventory, type GpuFileSummary, type GpuArchTotals, type FatbinSectionInfo, type GpuInspectOptions } from './gpu/inventory.js';
export { GPU_WARNING_CODES, FATBIN_SECTION_NAMES, type FatbinEntry, type FatbinKind, type GpuProblem, type GpuWarningCode, type ReadAt } from './gpu/fatbin.js';
export { createGpuInventoryPlugin, GPU_PLUGIN_ID, GPU_PLUGIN_VERSION, type GpuFileRecord } from './gpu/plugin.js';
export { GpuReportSchema, type GpuReport, type TorchBuild } from './gpu/schema.js';
export { buildGpuReport, detectTorch, otherGpuBytes } from './gpu/report.js';
export type { PayloadAccess } from './layer-scan.js';
