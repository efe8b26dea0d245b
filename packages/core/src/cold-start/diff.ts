/**
 * The diff's cold-start table, in the seed's shape: per side image size, compressed size, pull
 * (fetch only) and cold start; plus the update a node holding the old image must pull (the new
 * image's layers it does not have, matched by blob digest, else by diffID) and its time. Pure.
 */
import { z } from 'zod';
import type { Report } from '../report-schema.js';
import { estimateColdStart } from './estimate.js';
import { PullProfileSchema, type PullProfile } from './profile.js';
import { buildColdStart } from './report.js';

const Seconds = z.number().nonnegative();
const Bytes = z.number().int().nonnegative();

export const ColdStartSideSchema = z.object({
  /** Uncompressed bytes the layers ship. */
  imageBytes: Bytes,
  compressedBytes: Bytes.nullable(),
  /** Fetch only: compressed bytes ÷ bandwidth. */
  pullSeconds: Seconds.nullable(),
  /** Fetch, decompress and unpack on an empty node (estimate). */
  coldStartSeconds: Seconds.nullable(),
  bottleneck: z.enum(['fetch', 'decompress', 'unpack']).nullable(),
});

/** Cold start of both sides and of the update, under one profile (all estimates). */
export const ColdStartDiffSchema = z.object({
  estimate: z.literal(true),
  profile: PullProfileSchema,
  before: ColdStartSideSchema,
  after: ColdStartSideSchema,
  /** What a node holding `before` pulls to run `after`. */
  update: z.object({
    /** How layers were matched: blob digests (both sides have them) or diffIDs. */
    matchedBy: z.enum(['digest', 'diffId']),
    layers: z.number().int().nonnegative(),
    compressedBytes: Bytes.nullable(),
    uncompressedBytes: Bytes,
    pullSeconds: Seconds.nullable(),
    coldStartSeconds: Seconds.nullable(),
  }),
});

export type ColdStartDiff = z.infer<typeof ColdStartDiffSchema>;

function sideOf(r: Report, profile: PullProfile): z.infer<typeof ColdStartSideSchema> {
  const cs = r.image.source.metadataOnly ? undefined : buildColdStart(r.layers, profile);
  const compressed = r.summary.compressedBytes ?? null;
  return {
    imageBytes: r.summary.contentBytes,
    compressedBytes: compressed,
    pullSeconds: compressed === null ? null : (compressed * 8) / profile.bandwidthBitsPerSecond,
    coldStartSeconds: cs ? cs.totalSeconds : null,
    bottleneck: cs ? cs.bottleneck : null,
  };
}

/** Builds the diff's cold-start section with `profile` (both sides re-estimated under it). */
export function diffColdStart(before: Report, after: Report, profile: PullProfile): ColdStartDiff {
  const byDigest = before.layers.every((l) => l.digest !== undefined) && after.layers.every((l) => l.digest !== undefined);
  const key = (l: Report['layers'][number]): string => (byDigest ? l.digest! : l.diffId);
  const have = new Set(before.layers.map(key));
  const missing = after.layers.filter((l) => !have.has(key(l)));
  const known = missing.every((l) => l.compressedBytes !== undefined);
  const compressedBytes = known ? missing.reduce((s, l) => s + l.compressedBytes!, 0) : null;
  const canModel = known && !after.image.source.metadataOnly;
  const update = canModel
    ? estimateColdStart(
        missing.map((l) => ({ compressedBytes: l.compressedBytes!, uncompressedBytes: l.tarBytes, entries: l.entries, codec: l.compression === 'none' ? 'gzip' : l.compression })),
        profile,
      )
    : undefined;
  return {
    estimate: true,
    profile: PullProfileSchema.parse(profile),
    before: sideOf(before, profile),
    after: sideOf(after, profile),
    update: {
      matchedBy: byDigest ? 'digest' : 'diffId',
      layers: missing.length,
      compressedBytes,
      uncompressedBytes: missing.reduce((s, l) => s + l.tarBytes, 0),
      pullSeconds: compressedBytes === null ? null : (compressedBytes * 8) / profile.bandwidthBitsPerSecond,
      coldStartSeconds: update ? update.totalSeconds : null,
    },
  };
}
