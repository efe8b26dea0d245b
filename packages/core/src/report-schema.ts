/**
 * The analyze report: defined once here as a zod schema; the TS types are inferred from it and the
 * committed JSON Schema (schema/report.schema.json) is generated from it. `--json` prints exactly
 * what `analyzeImage` returns. Sizes are bytes; a field named `compressed…` is gzip-compressed
 * (exact when `…Exact` says so, else estimated); every other size is uncompressed.
 */
import { z } from 'zod';
import { GpuReportSchema } from './gpu/schema.js';
import { BudgetResultSchema } from './budgets/budget-schema.js';
import { ColdStartSchema } from './cold-start/report.js';
import { BuildTimeSchema } from './cold-start/build-time.js';
import { WARNING_CODES } from './warnings.js';

export const REPORT_SCHEMA_VERSION = 2;

const Bytes = z.number().int().nonnegative();
const Count = z.number().int().nonnegative();

/** Package managers whose records imgsize reads. */
export const PACKAGE_MANAGERS = ['dpkg', 'pip', 'conda', 'apk', 'rpm', 'npm'] as const;

export const SourceInfoSchema = z.object({
  kind: z.enum(['docker-archive', 'oci-layout', 'registry', 'daemon', 'report']),
  format: z.enum(['docker-archive-legacy', 'docker-archive-oci', 'oci-layout', 'registry', 'daemon']),
  ref: z.string(),
  inputCompression: z.enum(['none', 'gzip', 'zstd']).optional(),
  /** Only manifest and config were read; layer contents (files, wasted bytes) are unknown. */
  metadataOnly: z.boolean().optional(),
});

export const ImageInfoSchema = z.object({
  ref: z.string(),
  source: SourceInfoSchema,
  repoTags: z.array(z.string()),
  os: z.string(),
  architecture: z.string(),
  /** The distribution, from the final filesystem's os-release(5). */
  osRelease: z
    .object({
      /** ID (`debian`, `alpine`, `rhel`, `sles`…). */
      id: z.string(),
      versionId: z.string().optional(),
      name: z.string().optional(),
      prettyName: z.string().optional(),
      /** The file it was read from. */
      path: z.string(),
    })
    .optional(),
  variant: z.string().optional(),
  created: z.string().optional(),
  configDigest: z.string().optional(),
  manifestDigest: z.string().optional(),
  entrypoint: z.array(z.string()).nullable(),
  cmd: z.array(z.string()).nullable(),
  workingDir: z.string().optional(),
  user: z.string().optional(),
  env: z.array(z.string()),
  labels: z.record(z.string(), z.string()),
});

export const SummarySchema = z.object({
  layers: Count,
  /** Layers with no entries at all (or only the end-of-archive marker). */
  emptyLayers: Count,
  historyEntries: Count,
  entries: Count,
  files: Count,
  /** Sum of regular-file bytes over all layers: what the layers ship (dive's and docker's size). */
  contentBytes: Bytes,
  /** Bytes of the uncompressed layer tars (content + headers + padding). */
  tarBytes: Bytes,
  /** Regular-file bytes visible in the final filesystem. */
  visibleBytes: Bytes,
  /** contentBytes − visibleBytes = overwrittenBytes + deletedBytes. */
  wastedBytes: Bytes,
  overwrittenBytes: Bytes,
  deletedBytes: Bytes,
  /** Compressed size of all layer blobs (gzip -6 where estimated). */
  compressedBytes: Bytes.optional(),
  compressedBytesExact: z.boolean().optional(),
  /**
   * 'skipped' when compressed-size sampling was turned off (`--no-estimate`): compressed figures
   * are then absent unless exact from the source, and findings' `compressedBytes` are not estimates.
   */
  compressedEstimate: z.enum(['skipped']).optional(),
  /** Estimated fetch time only (compressed bytes ÷ bandwidth); the full pull is `coldStart.totalSeconds`. */
  pullSeconds: z.number().nonnegative().optional(),
  /** Sum of the findings' savings, each byte counted once. */
  potentialSavingsBytes: Bytes.optional(),
  potentialSavingsCompressedBytes: Bytes.optional(),
  potentialSavingsPullSeconds: z.number().nonnegative().optional(),
});

export const LayerReportSchema = z.object({
  index: Count,
  diffId: z.string(),
  digest: z.string().optional(),
  mediaType: z.string().optional(),
  compression: z.enum(['none', 'gzip', 'zstd']),
  /** Compressed blob bytes: exact from the source, or estimated (gzip -6). */
  compressedBytes: Bytes.optional(),
  compressedBytesExact: z.boolean(),
  /** Index into `history` of the instruction that created this layer, when known. */
  historyIndex: Count.nullable(),
  instruction: z.string().nullable(),
  created: z.string().optional(),
  empty: z.boolean(),
  contentBytes: Bytes,
  tarBytes: Bytes,
  entries: Count,
  files: Count,
  /** Bytes of this layer still visible at the end. */
  visibleBytes: Bytes,
  /** Bytes of this layer hidden by later layers. */
  hiddenBytes: Bytes,
  /** Bytes of lower layers this layer hid (its deletes and overwrites). */
  hidBytes: Bytes,
  /** Shipped bytes of this layer per category id (present when categories were computed). */
  categories: z.record(z.string(), Bytes).optional(),
});

export const HistoryReportSchema = z.object({
  index: Count,
  createdBy: z.string(),
  created: z.string().optional(),
  comment: z.string().optional(),
  emptyLayer: z.boolean(),
  layerIndex: Count.nullable(),
});

export const WastedPathSchema = z.object({
  path: z.string(),
  bytes: Bytes,
  compressedBytes: Bytes.optional(),
  /** Layer that shipped the bytes. */
  layer: Count,
  /** Layer that hid them. */
  hiddenBy: Count,
  reason: z.enum(['overwritten', 'deleted']),
});

export const WasteSchema = z.object({
  overwrittenBytes: Bytes,
  deletedBytes: Bytes,
  hiddenFiles: Count,
  /** Largest hidden files, largest first. */
  topPaths: z.array(WastedPathSchema),
});

export const DiveSchema = z.object({
  efficiency: z.number().min(0).max(1),
  wastedBytes: Bytes,
  userWastedPercent: z.number().nonnegative(),
  imageSizeBytes: Bytes,
  userSizeBytes: Bytes,
  inefficientFileCount: Count,
  /** dive's inefficient files, largest cumulative size first (capped; see inefficientFileCount). */
  inefficientFiles: z.array(z.object({ path: z.string(), count: Count, cumulativeBytes: Bytes })),
});

export const CategorySchema = z.object({
  id: z.string(),
  label: z.string(),
  /** Bytes shipped in all layers (uncompressed). */
  bytes: Bytes,
  visibleBytes: Bytes,
  wastedBytes: Bytes,
  /** Estimated or exact-scaled compressed bytes of what is shipped. */
  compressedBytes: Bytes.optional(),
  files: Count,
});

export const PackageSchema = z.object({
  manager: z.enum(PACKAGE_MANAGERS),
  name: z.string(),
  /** rpm: `[epoch:]version-release`. */
  version: z.string().optional(),
  /** Layer whose package database first lists it. */
  layer: Count.nullable(),
  /** Where the package database lives (site-packages dir, conda prefix, /); npm: the package directory. */
  location: z.string().optional(),
  /**
   * The package's own size record, bytes: rpm's SIZE tag, apk's `I:`, dpkg's Installed-Size × 1024.
   * Not the bytes on disk: rpm counts symlink targets (or not) and hardlinks once, apk rounds each
   * file up to 4 KiB, dpkg's is an estimate in KiB.
   */
  sizeTag: Bytes.optional(),
  /** npm: a devDependency (by the project's lock file, else its package.json). */
  dev: z.boolean().optional(),
  /** dpkg: Pre-Depends and Depends as or-groups of package names (`a | b`; versions dropped). */
  depends: z.array(z.string()).optional(),
  /** dpkg: Recommends, as or-groups of package names. */
  recommends: z.array(z.string()).optional(),
  /** dpkg: the virtual packages it provides. */
  provides: z.array(z.string()).optional(),
  /** dpkg: apt installed it only as a dependency (`Auto-Installed: 1` in /var/lib/apt/extended_states); absent when the image has no such file. */
  autoInstalled: z.boolean().optional(),
  /** Visible regular-file bytes of the files it owns. */
  visibleBytes: Bytes,
  files: Count,
  /** Bytes of its files shipped but hidden later. */
  wastedBytes: Bytes,
  compressedBytes: Bytes.optional(),
});

export const PackagesSchema = z.object({
  packages: z.array(PackageSchema),
  unownedBytes: Bytes,
  unownedFiles: Count,
  /** Per manager: how many packages, and their visible bytes. */
  managers: z.record(z.string(), z.object({ packages: Count, visibleBytes: Bytes })),
});

/** A Dockerfile instruction: file, stage, first and last line (1-based). `base` when the bytes come from the base image (the FROM line). */
export const DockerfileLocationSchema = z.object({
  path: z.string(),
  line: Count,
  endLine: Count,
  stage: z.number().int(),
  keyword: z.string(),
  base: z.boolean(),
});

export const FindingSchema = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.enum(['high', 'medium', 'low', 'info']),
  confidence: z.enum(['certain', 'likely', 'possible']),
  /** Uncompressed bytes this finding would save (disk, extraction). */
  bytes: Bytes,
  compressedBytes: Bytes,
  pullSeconds: z.number().nonnegative(),
  /** Layers that introduced the bytes. */
  layers: z.array(Count),
  /** History instruction of the layer that introduced most of the bytes. */
  instruction: z.string().nullable(),
  evidence: z.array(z.object({ path: z.string(), bytes: Bytes, layer: Count })),
  fix: z.string(),
  /** Extra explanation or caveat. */
  note: z.string().optional(),
  /** False for informational findings or bytes already counted by an earlier finding. */
  countedInSavings: z.boolean(),
  /** The finding's bytes per layer that shipped them (uncompressed and compressed), largest first. */
  layerBytes: z.array(z.object({ layer: Count, bytes: Bytes, compressedBytes: Bytes })).optional(),
  /** Where in the Dockerfile the bytes come from (`analyze --dockerfile`): the instruction of the main layer. */
  dockerfile: DockerfileLocationSchema.optional(),
});

export const PullSchema = z.object({
  bandwidthBitsPerSecond: z.number().positive(),
  compressedBytes: Bytes,
  compressedBytesExact: z.boolean(),
  seconds: z.number().nonnegative(),
  afterFixesCompressedBytes: Bytes,
  afterFixesSeconds: z.number().nonnegative(),
});

export const DirectorySchema = z.object({ path: z.string(), visibleBytes: Bytes, files: Count, depth: Count });

/** A file row as reports before the category/layer columns wrote it: [path, shippedBytes, visibleBytes]. */
export const LegacyFileRowSchema = z.tuple([z.string(), Bytes, Bytes]);

/**
 * A hidden copy of a path: [layer that shipped it, bytes, layer that hid it (overwrite or whiteout)].
 */
export const HiddenCopySchema = z.tuple([Count, Bytes, Count]);

/**
 * One regular-file path: [path, shippedBytes (all layers' copies), visibleBytes (final fs),
 * category id (of the visible copy, else of the last shipped copy), layer that wrote the visible
 * copy (null when the path is not visible), hidden copies (omitted when there are none)].
 */
export const FileRowSchema = z.tuple([z.string(), Bytes, Bytes, z.string(), Count.nullable(), z.array(HiddenCopySchema).optional()]);

/**
 * Per-path data for later diffs and the HTML report (`analyze --include-files` only). One row per
 * regular-file path any layer ships, sorted by path (see FileRowSchema); saved reports with the
 * older 3-column rows still parse.
 */
export const FileListSchema = z.object({
  entries: z.array(z.union([FileRowSchema, LegacyFileRowSchema])),
});

/** The base image: its layers are the `base-image` category. */
export const BaseImageSchema = z.object({
  /** Layers 0 … layers-1 are the base image's. */
  layers: Count,
  /**
   * How they were identified: `option` (`--base IMAGE`, diffIDs matched), `dockerfile` (the final
   * FROM), `annotation` (OCI base-image annotations name it; layers assumed), `first-layer-guess`.
   */
  method: z.enum(['option', 'dockerfile', 'annotation', 'first-layer-guess']),
  /** True when `layers` is assumed (the first layer), not matched. */
  guessed: z.boolean(),
  name: z.string().optional(),
  digest: z.string().optional(),
  note: z.string().optional(),
});

/** A recoverable oddity: a stable code (warnings.ts WARNING_CODES), one message, and the layer it is about. */
export const WarningSchema = z.object({
  code: z.enum(WARNING_CODES),
  message: z.string(),
  /** Index of the layer the warning is about, when it is about one. */
  layer: Count.optional(),
});

export const ReportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('imgsize'), version: z.string() }),
  image: ImageInfoSchema,
  summary: SummarySchema,
  layers: z.array(LayerReportSchema),
  history: z.array(HistoryReportSchema),
  waste: WasteSchema,
  dive: DiveSchema,
  categories: z.array(CategorySchema).optional(),
  baseImage: BaseImageSchema.optional(),
  packages: PackagesSchema.optional(),
  findings: z.array(FindingSchema).optional(),
  /** CUDA fat binaries by architecture, torch build variant, GPU target (gpu/schema.ts). */
  gpu: GpuReportSchema.optional(),
  pull: PullSchema.optional(),
  /** Biggest directories of the final filesystem (depth-limited, sizes rolled up). */
  directories: z.array(DirectorySchema).optional(),
  /** Every shipped regular file (only with `--include-files`); see FileListSchema. */
  files: FileListSchema.optional(),
  /** Budget evaluation (only with `--budget`). */
  budgets: BudgetResultSchema.optional(),
  /** Estimated cold start (fetch, decompress, unpack) under a pull profile; docs/COLD-START.md. */
  coldStart: ColdStartSchema.optional(),
  /** Build time per Dockerfile step from the history timestamps, or why they are not meaningful. */
  buildTime: BuildTimeSchema.optional(),
  warnings: z.array(WarningSchema),
});

export type Report = z.infer<typeof ReportSchema>;
export type LayerReport = z.infer<typeof LayerReportSchema>;
export type HistoryReport = z.infer<typeof HistoryReportSchema>;
export type Summary = z.infer<typeof SummarySchema>;
export type WastedPath = z.infer<typeof WastedPathSchema>;
export type DiveReport = z.infer<typeof DiveSchema>;
export type CategoryReport = z.infer<typeof CategorySchema>;
export type PackageReport = z.infer<typeof PackageSchema>;
export type BaseImageReport = z.infer<typeof BaseImageSchema>;
export type PackagesReport = z.infer<typeof PackagesSchema>;
export type Finding = z.infer<typeof FindingSchema>;
export type DockerfileLocation = z.infer<typeof DockerfileLocationSchema>;
export type PullReport = z.infer<typeof PullSchema>;
export type DirectoryReport = z.infer<typeof DirectorySchema>;
export type FileList = z.infer<typeof FileListSchema>;
export type FileRow = z.infer<typeof FileRowSchema>;
export type LegacyFileRow = z.infer<typeof LegacyFileRowSchema>;
export type HiddenCopy = z.infer<typeof HiddenCopySchema>;
export type ReportWarning = z.infer<typeof WarningSchema>;

/** JSON Schema (draft 2020-12) of the report, generated from the zod schema. */
export function reportJsonSchema(): unknown {
  return z.toJSONSchema(ReportSchema, { target: 'draft-2020-12' });
}
