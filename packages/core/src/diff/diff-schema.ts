/**
 * The diff report: what changed between two analyze reports ("before" and "after"). Defined once
 * here as a zod schema; the TS types are inferred from it and the committed JSON Schema
 * (schema/diff-report.schema.json) is generated from it. `imgsize diff --json` prints exactly what
 * `diffReports` returns. Sizes are bytes, uncompressed unless the field says `compressed`; a delta
 * is after − before (negative = smaller).
 */
import { z } from 'zod';
import { PACKAGE_MANAGERS } from '../report-schema.js';
import { BudgetResultSchema } from '../budgets/budget-schema.js';

export const DIFF_SCHEMA_VERSION = 2;

const Bytes = z.number().int().nonnegative();
const Count = z.number().int().nonnegative();
const SignedBytes = z.number().int();

/** A number on both sides and their difference (after − before). */
export const MetricDeltaSchema = z.object({ before: z.number(), after: z.number(), delta: z.number() });
/** Same, when a side may not know the value (then the delta is null too). */
export const OptionalMetricDeltaSchema = z.object({
  before: z.number().nullable(),
  after: z.number().nullable(),
  delta: z.number().nullable(),
});

export const DiffSideSchema = z.object({
  /** What the user named (archive path, saved report path). */
  ref: z.string(),
  /** Short display name: first repo tag, else the ref's base name. */
  name: z.string(),
  /** Where the report came from: analysed now, or a saved report file. */
  origin: z.enum(['analyzed', 'saved-report']),
  repoTags: z.array(z.string()),
  configDigest: z.string().optional(),
  manifestDigest: z.string().optional(),
  platform: z.string(),
  /** imgsize version that wrote the analyze report. */
  toolVersion: z.string(),
});

export const DiffTotalsSchema = z.object({
  /** Regular-file bytes shipped in all layers. */
  contentBytes: MetricDeltaSchema,
  /** Regular-file bytes visible in the final filesystem. */
  visibleBytes: MetricDeltaSchema,
  /** Shipped but not visible (overwritten or deleted by a later layer). */
  wastedBytes: MetricDeltaSchema,
  files: MetricDeltaSchema,
  layers: MetricDeltaSchema,
  /** Compressed layer blobs; each side says whether its number is exact or an estimate. */
  compressedBytes: OptionalMetricDeltaSchema.extend({
    beforeExact: z.boolean().nullable(),
    afterExact: z.boolean().nullable(),
  }),
  /** Estimated pull time of the compressed layers, both sides at `bandwidthBitsPerSecond`. */
  pullSeconds: OptionalMetricDeltaSchema,
  bandwidthBitsPerSecond: z.number().positive(),
  /** dive's efficiency score (0..1). */
  diveEfficiency: MetricDeltaSchema,
  /** Sum of the findings' savings, when both reports have findings. */
  potentialSavingsBytes: OptionalMetricDeltaSchema,
});

export const DiffLayerSchema = z.object({
  diffId: z.string(),
  /** Layer index in the before image (null for added layers). */
  beforeIndex: Count.nullable(),
  /** Layer index in the after image (null for removed layers). */
  afterIndex: Count.nullable(),
  contentBytes: Bytes,
  compressedBytes: Bytes.nullable(),
  compressedBytesExact: z.boolean(),
  instruction: z.string().nullable(),
});

export const DiffLayersSchema = z.object({
  /** Layers both images have (matched by diffID, in after order): reused, nothing to pull. */
  shared: z.array(DiffLayerSchema),
  removed: z.array(DiffLayerSchema),
  added: z.array(DiffLayerSchema),
  /** How many leading layers are identical position by position (the common base). */
  commonBaseLayers: Count,
  sharedBytes: Bytes,
  removedBytes: Bytes,
  addedBytes: Bytes,
  /** Compressed bytes a host that has the before image must pull for the after image. */
  addedCompressedBytes: Bytes.nullable(),
});

export const CategoryDeltaSchema = z.object({
  id: z.string(),
  label: z.string(),
  /** Shipped bytes (uncompressed) of the category. */
  before: Bytes,
  after: Bytes,
  delta: SignedBytes,
  visibleBefore: Bytes,
  visibleAfter: Bytes,
});

const Unavailable = z.object({ available: z.literal(false), reason: z.string() });

export const CategoriesDiffSchema = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    /** Every category present on either side, largest |delta| first. */
    changes: z.array(CategoryDeltaSchema),
  }),
  Unavailable,
]);

export const PackageDeltaSchema = z.object({
  manager: z.enum(PACKAGE_MANAGERS),
  name: z.string(),
  change: z.enum(['added', 'removed', 'version-changed']),
  versionBefore: z.string().nullable(),
  versionAfter: z.string().nullable(),
  /** Visible bytes of the package's files. */
  bytesBefore: Bytes,
  bytesAfter: Bytes,
  delta: SignedBytes,
});

export const PackagesDiffSchema = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    /** Added, removed and version-changed packages, largest |delta| first. */
    changes: z.array(PackageDeltaSchema),
    counts: z.object({ added: Count, removed: Count, versionChanged: Count, unchanged: Count }),
    /** Per manager: package count and visible bytes on both sides. */
    managers: z.record(z.string(), z.object({ packages: MetricDeltaSchema, visibleBytes: MetricDeltaSchema })),
    unownedBytes: MetricDeltaSchema,
  }),
  Unavailable,
]);

export const PathDeltaSchema = z.object({
  path: z.string(),
  /** Judged on shipped bytes: added/removed = shipped on one side only. */
  change: z.enum(['added', 'removed', 'grown', 'shrunk']),
  /** Shipped bytes at this path, all layers' copies (uncompressed). */
  before: Bytes,
  after: Bytes,
  delta: SignedBytes,
  /** Bytes visible in the final filesystem at this path. */
  visibleBefore: Bytes,
  visibleAfter: Bytes,
});

export const DirectoryDeltaSchema = z.object({
  /** Directory (depth ≤ `directoryDepth`) the changed paths below it are rolled up into. */
  path: z.string(),
  before: Bytes,
  after: Bytes,
  delta: SignedBytes,
  /** Changed files below it. */
  files: Count,
});

export const PathsDiffSchema = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    counts: z.object({ added: Count, removed: Count, grown: Count, shrunk: Count, unchanged: Count }),
    /** Shipped bytes per kind of change (all positive; shrunk = bytes gone from shrunk paths). */
    bytes: z.object({ added: Bytes, removed: Bytes, grown: Bytes, shrunk: Bytes }),
    /** Largest |delta| first, capped at the diff's `topPaths`. */
    top: z.array(PathDeltaSchema),
    /** Changed paths not listed in `top`. */
    omitted: Count,
    directoryDepth: Count,
    /** Changes rolled up per directory, largest |delta| first, capped at `topPaths`. */
    directories: z.array(DirectoryDeltaSchema),
  }),
  Unavailable,
]);

export const FindingRefSchema = z.object({
  id: z.string(),
  title: z.string(),
  severity: z.enum(['high', 'medium', 'low', 'info']),
  bytes: Bytes,
  compressedBytes: Bytes,
});

export const FindingsDiffSchema = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    /** Findings of before that after no longer has (matched by id). */
    resolved: z.array(FindingRefSchema),
    /** Findings of after that before did not have. */
    new: z.array(FindingRefSchema),
    /** Findings on both sides, with their bytes. */
    persisting: z.array(z.object({ id: z.string(), title: z.string(), bytesBefore: Bytes, bytesAfter: Bytes, delta: SignedBytes })),
  }),
  Unavailable,
]);

export const DiffReportSchema = z.object({
  schemaVersion: z.literal(DIFF_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('imgsize'), version: z.string() }),
  before: DiffSideSchema,
  after: DiffSideSchema,
  totals: DiffTotalsSchema,
  layers: DiffLayersSchema,
  categories: CategoriesDiffSchema,
  packages: PackagesDiffSchema,
  paths: PathsDiffSchema,
  findings: FindingsDiffSchema,
  warnings: z.array(z.string()),
  /** `diff --budget`: the after image checked against the budgets, with before as the baseline. */
  budgets: BudgetResultSchema.optional(),
});

export type DiffReport = z.infer<typeof DiffReportSchema>;
export type DiffSide = z.infer<typeof DiffSideSchema>;
export type DiffTotals = z.infer<typeof DiffTotalsSchema>;
export type MetricDelta = z.infer<typeof MetricDeltaSchema>;
export type OptionalMetricDelta = z.infer<typeof OptionalMetricDeltaSchema>;
export type DiffLayer = z.infer<typeof DiffLayerSchema>;
export type CategoryDelta = z.infer<typeof CategoryDeltaSchema>;
export type PackageDelta = z.infer<typeof PackageDeltaSchema>;
export type PathDelta = z.infer<typeof PathDeltaSchema>;
export type DirectoryDelta = z.infer<typeof DirectoryDeltaSchema>;
export type FindingRef = z.infer<typeof FindingRefSchema>;

/** JSON Schema (draft 2020-12) of the diff report, generated from the zod schema. */
export function diffReportJsonSchema(): unknown {
  return z.toJSONSchema(DiffReportSchema, { target: 'draft-2020-12' });
}
