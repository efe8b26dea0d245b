import { describe, expect, it } from 'vitest';
import { handProfile } from './testing.js';
import { buildColdStart, type ColdStartLayerFacts } from './report.js';

const P = handProfile();

const big: ColdStartLayerFacts = { compression: 'gzip', compressedBytes: 1000, tarBytes: 1000, entries: 0, contentBytes: 1000, zstdBytes: 600, estimatedGzipBytes: 1200 };
const small: ColdStartLayerFacts = { compression: 'gzip', compressedBytes: 10, tarBytes: 10, entries: 0, contentBytes: 10 };

describe('buildColdStart what-ifs (hand calculations)', () => {
  const c = buildColdStart([big, small], P, [{ bytes: 500, compressedBytes: 500, layers: [0], countedInSavings: true }])!;
  const w = (id: string) => c.whatIfs.find((x) => x.id === id)!;

  it('base: the big layer is fetched at 10 s and inflates [10, 20]; the small one [20, 20.1]', () => {
    expect(c.totalSeconds).toBeCloseTo(20.1, 9);
    expect(c.criticalLayer).toBe(0);
    expect(c.estimate).toBe(true);
    expect(c.profile.name).toBe('hand');
  });

  it('after fixes: 500 B off layer 0 → fetched at 5 s, inflated [5, 10], then [10, 10.1]', () => {
    expect(w('after-fixes').totalSeconds).toBeCloseTo(10.1, 9);
    expect(w('after-fixes').deltaSeconds).toBeCloseTo(-10, 9);
    expect(w('after-fixes').compressedBytes).toBe(510);
  });

  it('zstd: the sampled ratio (600/1200) shrinks layer 0 to 500 B; the unsampled layer takes the image ratio', () => {
    // Layer 0: fetched at 5 s, max(1000/400, 1000/200) = 5 s → [5, 10]; layer 1: 5 B, [10, 10.05].
    expect(w('zstd').compressedBytes).toBe(505);
    expect(w('zstd').totalSeconds).toBeCloseTo(10.05, 9);
    expect(w('zstd').decompressSeconds).toBeCloseTo(1010 / 400, 9);
  });

  it('split: 4 × 250 B lets fetch overlap the unpack: [2.5, 5], [5, 7.5], [7.5, 10], [10, 12.5], [12.5, 12.6]', () => {
    expect(w('split-layer').totalSeconds).toBeCloseTo(12.6, 9);
    expect(w('split-layer').title).toMatch(/split layer 0 \(99% of the bytes\) into 4 layers/);
  });

  it('no split note when the layers are balanced, no zstd what-if without a sample, nothing without compressed sizes', () => {
    const even = buildColdStart([small, small, small], P)!;
    expect(even.whatIfs.map((x) => x.id)).toEqual([]);
    expect(buildColdStart([{ ...small, compressedBytes: undefined }], P)).toBeUndefined();
  });

  it('uncompressed archive layers are modelled as gzip and say so', () => {
    const u = buildColdStart([{ ...small, compression: 'none' }], P)!;
    expect(u.assumedCodec).toBe('gzip');
    expect(u.layers[0]!.codec).toBe('gzip');
  });
});
