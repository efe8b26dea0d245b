/**
 * The report's cold-start section (schema and pure builder): the model's estimate for the
 * image's layers, with what-ifs (after the findings' fixes, recompressed with zstd, the biggest
 * layer split) each re-run through the same model and profile.
 */
import { z } from 'zod';
import { estimateColdStart, type ColdStartEstimate, type ColdStartLayerInput, type PullCodec } from './estimate.js';
import { PullProfileSchema, type PullProfile } from './profile.js';
import { BUILDKIT_ZSTD_LEVEL } from './zstd-size.js';

const Seconds = z.number().nonnegative();
const Bytes = z.number().int().nonnegative();
const Stage = z.enum(['fetch', 'decompress', 'unpack']);
const PerStage = z.object({ fetch: Seconds, decompress: Seconds, unpack: Seconds });

export const ColdStartLayerSchema = z.object({
  index: Bytes,
  codec: z.enum(['gzip', 'zstd', 'none']),
  compressedBytes: Bytes,
  uncompressedBytes: Bytes,
  fetchEnd: Seconds,
  unpackStart: Seconds,
  unpackEnd: Seconds,
  decompressSeconds: Seconds,
  unpackSeconds: Seconds,
  criticalSeconds: Seconds,
});

export const ColdStartWhatIfSchema = z.object({
  id: z.enum(['after-fixes', 'zstd', 'split-layer']),
  title: z.string(),
  /** Estimated cold start with the change (same profile). */
  totalSeconds: Seconds,
  /** totalSeconds − the current estimate (negative = faster). */
  deltaSeconds: z.number(),
  fetchSeconds: Seconds,
  decompressSeconds: Seconds,
  /** Compressed bytes on the wire with the change. */
  compressedBytes: Bytes,
  note: z.string().optional(),
});

/** Cold start: until every layer is fetched, decompressed and unpacked on an empty node (an estimate). */
export const ColdStartSchema = z.object({
  /** Always true: every time here is a model estimate (docs/COLD-START.md). */
  estimate: z.literal(true),
  profile: PullProfileSchema,
  /** Set when the source held uncompressed layers: the pull is modelled as the gzip blobs a push would make. */
  assumedCodec: z.enum(['gzip']).optional(),
  totalSeconds: Seconds,
  /** Until the last blob is fetched (what `pullSeconds` approximates, with concurrency). */
  fetchSeconds: Seconds,
  decompressSeconds: Seconds,
  unpackSeconds: Seconds,
  /** Critical-path seconds per stage (they sum to totalSeconds). */
  criticalSeconds: PerStage,
  shares: PerStage,
  bottleneck: Stage,
  criticalLayer: Bytes.nullable(),
  layers: z.array(ColdStartLayerSchema),
  whatIfs: z.array(ColdStartWhatIfSchema),
});

export type ColdStartReport = z.infer<typeof ColdStartSchema>;
export type ColdStartWhatIf = z.infer<typeof ColdStartWhatIfSchema>;

/** What the cold-start section needs of a layer (a subset of LayerReport). */
export interface ColdStartLayerFacts {
  compression: 'none' | 'gzip' | 'zstd';
  compressedBytes?: number | undefined;
  tarBytes: number;
  entries: number;
  contentBytes: number;
  /** Estimated zstd -3 size of the layer tar (compression sampler), when known. */
  zstdBytes?: number | undefined;
  /** gzip estimate the zstd estimate was scaled from (to carry the ratio to exact sizes). */
  estimatedGzipBytes?: number | undefined;
}

/** What the after-fixes what-if needs of a finding. */
export interface ColdStartFindingFacts {
  bytes: number;
  compressedBytes: number;
  layers: readonly number[];
  countedInSavings: boolean;
}

/** Only a split that saves this share of the total (and a second) is worth a note. */
const SPLIT_MIN_GAIN = 0.05;
const SPLIT_PARTS = 4;

/**
 * Builds the cold-start section, or undefined when a layer's compressed size is unknown (then
 * there is nothing to fetch to model).
 */
export function buildColdStart(
  layers: readonly ColdStartLayerFacts[],
  profile: PullProfile,
  findings: readonly ColdStartFindingFacts[] = [],
): ColdStartReport | undefined {
  if (layers.some((l) => l.compressedBytes === undefined)) return undefined;
  const assumed = layers.some((l) => l.compression === 'none');
  const codecOf = (l: ColdStartLayerFacts): PullCodec => (l.compression === 'none' ? 'gzip' : l.compression);
  const inputs: ColdStartLayerInput[] = layers.map((l) => ({
    compressedBytes: l.compressedBytes!,
    uncompressedBytes: l.tarBytes,
    entries: l.entries,
    codec: codecOf(l),
  }));
  const base = estimateColdStart(inputs, profile);
  const whatIfs: ColdStartWhatIf[] = [];
  const whatIf = (id: ColdStartWhatIf['id'], title: string, changed: ColdStartLayerInput[], note?: string): void => {
    const e = estimateColdStart(changed, profile);
    whatIfs.push({
      id,
      title,
      totalSeconds: e.totalSeconds,
      deltaSeconds: e.totalSeconds - base.totalSeconds,
      fetchSeconds: e.fetchSeconds,
      decompressSeconds: e.decompressSeconds,
      compressedBytes: Math.round(changed.reduce((s, l) => s + l.compressedBytes, 0)),
      ...(note !== undefined && { note }),
    });
  };

  const fixed = afterFixes(inputs, layers, findings);
  if (fixed) whatIf('after-fixes', 'after the fixes of the findings', fixed);

  // Layers without their own sample (no sampled bytes) take the image's overall zstd/gzip ratio.
  const sampled = layers.filter((l) => l.zstdBytes !== undefined && l.estimatedGzipBytes !== undefined && l.estimatedGzipBytes > 0);
  if (inputs.some((l) => l.codec !== 'zstd') && sampled.length > 0) {
    const overall = sampled.reduce((s, l) => s + l.zstdBytes!, 0) / sampled.reduce((s, l) => s + l.estimatedGzipBytes!, 0);
    const z = inputs.map((l, i) => {
      const f = layers[i]!;
      if (l.codec === 'zstd') return l;
      // Carry the sample's zstd/gzip ratio to the real (possibly exact) compressed size.
      const ratio = f.zstdBytes !== undefined && f.estimatedGzipBytes ? f.zstdBytes / f.estimatedGzipBytes : overall;
      return { ...l, codec: 'zstd' as const, compressedBytes: l.compressedBytes * ratio };
    });
    whatIf('zstd', `recompress the layers with zstd (docker buildx --output compression=zstd, level ${BUILDKIT_ZSTD_LEVEL})`, z);
  }

  const split = splitBiggest(inputs, base, profile);
  if (split) whatIf('split-layer', split.title, split.layers, split.note);
  return {
    estimate: true,
    // In schema key order, so a saved and re-parsed report serialises identically.
    profile: PullProfileSchema.parse(profile),
    ...(assumed && { assumedCodec: 'gzip' as const }),
    totalSeconds: base.totalSeconds,
    fetchSeconds: base.fetchSeconds,
    decompressSeconds: base.decompressSeconds,
    unpackSeconds: base.unpackSeconds,
    criticalSeconds: base.critical,
    shares: base.shares,
    bottleneck: base.bottleneck,
    criticalLayer: base.criticalLayer,
    layers: base.layers.map((t, i) => ({
      index: t.index,
      codec: t.codec,
      compressedBytes: Math.round(inputs[i]!.compressedBytes),
      uncompressedBytes: inputs[i]!.uncompressedBytes,
      fetchEnd: t.fetchEnd,
      unpackStart: t.unpackStart,
      unpackEnd: t.unpackEnd,
      decompressSeconds: t.decompressSeconds,
      unpackSeconds: t.unpackSeconds,
      criticalSeconds: t.criticalSeconds,
    })),
    whatIfs,
  };
}

/**
 * The layers with the counted findings' bytes removed: each finding's bytes come off the layers
 * it lists, in proportion to their content bytes (entries are kept: a conservative estimate).
 */
function afterFixes(inputs: ColdStartLayerInput[], layers: readonly ColdStartLayerFacts[], findings: readonly ColdStartFindingFacts[]): ColdStartLayerInput[] | undefined {
  const counted = findings.filter((f) => f.countedInSavings && f.bytes > 0);
  if (counted.length === 0) return undefined;
  const out = inputs.map((l) => ({ ...l }));
  for (const f of counted) {
    const ls = f.layers.filter((i) => i < out.length);
    const weight = ls.reduce((s, i) => s + layers[i]!.contentBytes, 0);
    for (const i of ls) {
      const share = weight > 0 ? layers[i]!.contentBytes / weight : 1 / ls.length;
      out[i]!.uncompressedBytes = Math.max(0, out[i]!.uncompressedBytes - f.bytes * share);
      out[i]!.compressedBytes = Math.max(0, out[i]!.compressedBytes - f.compressedBytes * share);
    }
  }
  return out;
}

/**
 * The "layer order / size" note: when the layer on the critical path holds most of the bytes,
 * splitting it into SPLIT_PARTS lets its later parts download while the first ones unpack.
 */
function splitBiggest(inputs: ColdStartLayerInput[], base: ColdStartEstimate, profile: PullProfile): { layers: ColdStartLayerInput[]; title: string; note: string } | undefined {
  if (base.criticalLayer === null) return undefined;
  const i = base.criticalLayer;
  const big = inputs[i]!;
  const total = inputs.reduce((s, l) => s + l.uncompressedBytes, 0);
  if (total === 0 || big.uncompressedBytes < total / 2) return undefined;
  const part = (x: number): number => x / SPLIT_PARTS;
  const pieces = Array.from({ length: SPLIT_PARTS }, () => ({
    ...big,
    compressedBytes: part(big.compressedBytes),
    uncompressedBytes: part(big.uncompressedBytes),
    entries: Math.ceil(part(big.entries)),
  }));
  const layers = [...inputs.slice(0, i), ...pieces, ...inputs.slice(i + 1)];
  const gain = base.totalSeconds - estimateColdStart(layers, profile).totalSeconds;
  if (gain < 1 || gain < SPLIT_MIN_GAIN * base.totalSeconds) return undefined;
  return {
    layers,
    title: `split layer ${i} (${Math.round((100 * big.uncompressedBytes) / total)}% of the bytes) into ${SPLIT_PARTS} layers`,
    note: `layer ${i} serialises the pull: its unpack cannot start before its whole blob is fetched; ${SPLIT_PARTS} smaller layers let fetch and unpack overlap`,
  };
}
