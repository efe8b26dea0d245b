/**
 * @imgsize/core public API: every export is listed here by name. Sources, analysis, diff and
 * budgets, the report schemas and their types, and the errors; everything else is internal.
 */
export { analyzeImage, buildReport, type AnalyzeOptions } from './analyze.js';
export { openDockerArchive, type ArchiveInput } from './sources/docker-archive.js';
export { fdChunks, seekablePath } from './sources/fd-reader.js';
export { ImgsizeError, isImgsizeError, ERROR_CODES, type ErrorCode } from './errors.js';
export { WARNING_CODES, formatWarning, type WarningCode, type ImgsizeWarning } from './warnings.js';
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
  type DockerfileLocation,
  DockerfileLocationSchema,
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
  WarningSchema,
  type ReportWarning,
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
export { EntryTable } from './entry-table.js';
export { definePlugin, type LayerScanOptions, type LayerScanPlugin, type LayerScanPluginFactory } from './layer-scan.js';
export { VERSION } from './version.js';
export { checkPlatform, openSource, type OpenSourceOptions } from './sources/open-source.js';
export { openRegistry, type RegistrySourceOptions } from './sources/registry.js';
export { parseRegistryRef, formatRegistryRef, type RegistryRef } from './sources/registry-ref.js';
export type { RegistryClientOptions } from './sources/registry-client.js';
export type { RegistryCredentials } from './sources/registry-auth.js';
export type { RetryOptions } from './sources/registry-http.js';
export { openDaemon, resolveDaemonEndpoint, type DaemonSourceOptions } from './sources/daemon.js';
export { openOciLayout, type OciLayoutOptions } from './sources/oci-layout.js';
export { createLayerCache, createMemoryLayerCache, defaultCacheDir, type LayerCache, type CachedLayer, type LayerCacheOptions } from './layer-cache.js';
export { parseSize } from './sizes.js';
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
export { looksLikeJson, parseSavedReport } from './diff/saved-report.js';
export { BudgetsSchema, BudgetResultSchema, BudgetRuleResultSchema, type Budgets, type BudgetsInput, type BudgetResult, type BudgetRuleResult } from './budgets/budget-schema.js';
export { parseBudgets, type ParsedBudgets } from './budgets/parse-budgets.js';
export { parseDiveCi, DIVE_CI_DEFAULTS } from './budgets/dive-ci.js';
export { evaluateBudgets, type EvaluateBudgetsOptions } from './budgets/evaluate.js';
export { checkBudgetCategoryIds } from './budgets/category-ids.js';
export { loadCategoryRules, DEFAULT_CATEGORY_RULES, COMPRESSION_SAMPLER, type CategoryRule } from './attribution/index.js';
export { parseDockerfile, locationLabel, type ParsedDockerfile, type DockerfileInstruction, type DockerfileStage, type DockerfileFlag, type ParseDockerfileOptions } from './dockerfile/parse.js';
export { mapHistoryToDockerfile, MAPPING_WARNING_CODES, type DockerfileMapping, type HistoryLocation, type MappingWarning, type MappingWarningCode } from './dockerfile/map-history.js';
export { planFix, type FixPlan, type FixHunk, type FindingPlacement, type PlanFixInput } from './dockerfile/patch.js';
export { locateFindings, dockerfileBaseHint, type LocatedReport } from './dockerfile/locate.js';
export { verifyFix, pingEngine, parseDockerIgnore, type VerifyOptions, type VerifyResult, type VerifiedHunk, type DockerIgnore } from './dockerfile/verify.js';
export {
  estimateColdStart,
  simulateFetch,
  type ColdStartEstimate,
  type ColdStartLayerInput,
  type ColdStartLayerTiming,
  type ColdStartStage,
  type PullCodec,
} from './cold-start/estimate.js';
export {
  PullProfileSchema,
  BUILTIN_PULL_PROFILES,
  DEFAULT_PULL_PROFILE,
  UNPACK_START,
  calibratedProfilePath,
  parsePullProfile,
  applyProfileOverrides,
  parseSeconds,
  type PullProfile,
  type UnpackStart,
} from './cold-start/profile.js';
export { ColdStartSchema, buildColdStart, type ColdStartReport, type ColdStartWhatIf, type ColdStartLayerFacts } from './cold-start/report.js';
export { BuildTimeSchema, buildTimeFromHistory, type BuildTimeReport, type BuildStep } from './cold-start/build-time.js';
export { BUILDKIT_ZSTD_LEVEL, zstdCompressedLength } from './cold-start/zstd-size.js';
export { calibrate, collectSample, type CalibrateOptions, type CalibrationResult } from './cold-start/calibrate.js';
export { ColdStartDiffSchema, diffColdStart, type ColdStartDiff } from './cold-start/diff.js';
export { parseGpuTarget, gpuNames, GPU_ARCHS, type GpuTarget } from './gpu/gpu-names.js';
export { inspectElfAt, ElfStreamInspector, type ElfGpuInventory, type FatbinSectionInfo, type GpuInspectOptions } from './gpu/inventory.js';
export { GPU_WARNING_CODES, type FatbinEntry, type FatbinKind, type GpuProblem, type GpuWarningCode, type ReadAt } from './gpu/fatbin.js';
export { GPU_INVENTORY } from './gpu/plugin.js';
export { GpuReportSchema, type GpuReport, type TorchBuild } from './gpu/schema.js';
export type { PayloadAccess } from './layer-scan.js';
