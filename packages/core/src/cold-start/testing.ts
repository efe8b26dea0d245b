/** Test helper: a pull profile with round numbers for hand calculations. */
import type { PullProfile } from './profile.js';

/**
 * 100 B/s link (800 bit/s), one download at a time, gzip inflates 100 B/s and zstd 400 B/s beside
 * writes at 200 B/s, no per-entry or per-layer cost; `overrides` change single rates.
 */
export function handProfile(overrides: Partial<PullProfile> = {}): PullProfile {
  return {
    name: 'hand',
    bandwidthBitsPerSecond: 800,
    concurrentDownloads: 1,
    unpackStart: 'after-layer-fetch',
    inflateBytesPerSecond: { gzip: 100, zstd: 400 },
    decompressConcurrent: { gzip: true, zstd: true },
    writeBytesPerSecond: 200,
    perEntrySeconds: 0,
    perLayerSeconds: 0,
    source: 'test',
    ...overrides,
  };
}
