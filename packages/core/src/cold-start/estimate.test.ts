import { describe, expect, it } from 'vitest';
import { handProfile } from './testing.js';
import { estimateColdStart, simulateFetch, type ColdStartLayerInput } from './estimate.js';

const P = handProfile();

const layer = (compressedBytes: number, uncompressedBytes: number, codec: ColdStartLayerInput['codec'] = 'gzip', entries = 0): ColdStartLayerInput => ({
  compressedBytes,
  uncompressedBytes,
  entries,
  codec,
});

describe('simulateFetch', () => {
  it('one download at a time: each blob gets the whole link, in layer order', () => {
    // 100 B at 100 B/s = 1 s, then 200 B = 2 s, then 300 B = 3 s.
    expect(simulateFetch([100, 200, 300], 100, 1)).toEqual({ start: [0, 1, 3], end: [1, 3, 6] });
  });

  it('two at a time share the link; a finished blob hands its share on', () => {
    // [0,2): #0 and #1 at 50 B/s → #0 done at 2 s, #1 has 100 B left; #2 starts at 2 s.
    // [2,4): #1 and #2 at 50 B/s → #1 done at 4 s, #2 has 200 B left; [4,6): #2 alone at 100 B/s.
    expect(simulateFetch([100, 200, 300], 100, 2)).toEqual({ start: [0, 0, 2], end: [2, 4, 6] });
  });

  it('unlimited (0): all start at once; the last byte still arrives at Σbytes ÷ bandwidth', () => {
    // 3 × 33.3 B/s: #0 done at 3 s; then #1, #2 at 50 B/s: #1's last 100 B by 5 s; #2 alone to 6 s.
    const r = simulateFetch([100, 200, 300], 100, 0);
    expect(r.start).toEqual([0, 0, 0]);
    expect(r.end.map((x) => Number(x.toFixed(9)))).toEqual([3, 5, 6]);
  });

  it('zero-byte blobs finish the moment they start', () => {
    expect(simulateFetch([0, 100, 0], 100, 1)).toEqual({ start: [0, 0, 1], end: [0, 1, 1] });
  });
});

describe('estimateColdStart', () => {
  it('overlap: layer 1 is fetched while layer 0 decompresses (decompress-bound)', () => {
    // fetch: #0 ends 1 s, #1 ends 3 s. #0: max(inflate 300/100 = 3, write 300/200 = 1.5) = 3 s → unpacks [1, 4].
    // #1: max(1, 0.5) = 1 s, starts at max(4, 3) = 4 → ends 5. Total 5 s, not 1 + 3 + 2 + 1.
    const e = estimateColdStart([layer(100, 300), layer(200, 100)], P);
    expect(e.totalSeconds).toBe(5);
    expect(e.fetchSeconds).toBe(3);
    expect(e.decompressSeconds).toBe(4);
    expect(e.unpackSeconds).toBe(2);
    // Critical path: fetch of #0 (1 s), inflate of #0 (3 s), inflate of #1 (1 s).
    expect(e.critical).toEqual({ fetch: 1, decompress: 4, unpack: 0 });
    expect(e.shares).toEqual({ fetch: 0.2, decompress: 0.8, unpack: 0 });
    expect(e.bottleneck).toBe('decompress');
    expect(e.criticalLayer).toBe(0);
    expect(e.layers.map((l) => [l.unpackStart, l.unpackEnd])).toEqual([
      [1, 4],
      [4, 5],
    ]);
  });

  it('fetch-bound: a big late blob keeps the unpacker waiting', () => {
    // #0 fetched at 1 s, unpacked [1, 2]; #1 (1000 B) fetched at 11 s, unpacked [11, 12].
    const e = estimateColdStart([layer(100, 100), layer(1000, 100)], P);
    expect(e.totalSeconds).toBe(12);
    expect(e.critical).toEqual({ fetch: 11, decompress: 1, unpack: 0 });
    expect(e.bottleneck).toBe('fetch');
    expect(e.criticalLayer).toBe(1);
  });

  it('in order: a small upper layer fetched first still waits for the big lower layer to unpack', () => {
    // Unlimited downloads at 100 B/s: both blobs share the link, #1 (10 B) is fetched at 0.2 s,
    // #0 (100 B) at 1.1 s. #0 unpacks [1.1, 11.1] (1000 B at 100 B/s); #1 only after, [11.1, 11.2].
    const e = estimateColdStart([layer(100, 1000), layer(10, 10)], { ...P, concurrentDownloads: 0 });
    expect(e.layers[1]!.fetchEnd).toBeCloseTo(0.2, 9);
    expect(e.layers[0]!.fetchEnd).toBeCloseTo(1.1, 9);
    expect(e.layers[1]!.unpackStart).toBeCloseTo(11.1, 9);
    expect(e.totalSeconds).toBeCloseTo(11.2, 9);
    expect(e.criticalLayer).toBe(0);
  });

  it('after-all-fetched (ctr pull): nothing unpacks before the last blob arrives', () => {
    // Same layers as the overlap case: all fetched at 3 s; #0 [3, 6], #1 [6, 7]. The fetch wait
    // belongs to the blob that arrived last (#1): 3 s + its 1 s inflate beats #0's 3 s.
    const e = estimateColdStart([layer(100, 300), layer(200, 100)], { ...P, unpackStart: 'after-all-fetched' });
    expect(e.totalSeconds).toBe(7);
    expect(e.critical).toEqual({ fetch: 3, decompress: 4, unpack: 0 });
    expect(e.criticalLayer).toBe(1);
  });

  it('unpack-bound: per-entry and per-layer costs add to the writes; the slower of inflate and unpack sets the pace', () => {
    // zstd inflates 200 B at 400 B/s = 0.5 s; unpack = 200/200 + 100 entries × 10 ms + 0.5 s = 2.5 s.
    const e = estimateColdStart([layer(100, 200, 'zstd', 100)], { ...P, perEntrySeconds: 0.01, perLayerSeconds: 0.5 });
    expect(e.layers[0]!.decompressSeconds).toBe(0.5);
    expect(e.layers[0]!.unpackSeconds).toBe(2.5);
    expect(e.totalSeconds).toBe(3.5);
    expect(e.critical).toEqual({ fetch: 1, decompress: 0, unpack: 2.5 });
    expect(e.bottleneck).toBe('unpack');
  });

  it('a decompressor in the unpacker\'s own goroutine (Go gzip) adds its time instead of overlapping', () => {
    // #0: inflate 3 s + write 1.5 s = 4.5 s after its 1 s fetch → 5.5 s; both stages on the path.
    const e = estimateColdStart([layer(100, 300)], { ...P, decompressConcurrent: { gzip: false, zstd: true } });
    expect(e.totalSeconds).toBe(5.5);
    expect(e.critical).toEqual({ fetch: 1, decompress: 3, unpack: 1.5 });
    // The same layer as zstd (concurrent): max(300/400, 1.5) = 1.5 s.
    expect(estimateColdStart([layer(100, 300, 'zstd')], { ...P, decompressConcurrent: { gzip: false, zstd: true } }).totalSeconds).toBe(2.5);
  });

  it('uncompressed blobs cost no inflate time', () => {
    const e = estimateColdStart([layer(300, 300, 'none')], P);
    expect(e.layers[0]!.decompressSeconds).toBe(0);
    expect(e.totalSeconds).toBe(3 + 1.5);
  });

  it('more bandwidth only helps until the decompressor is the bottleneck', () => {
    const layers = [layer(1000, 3000), layer(1000, 3000)];
    const slow = estimateColdStart(layers, P);
    const fast = estimateColdStart(layers, { ...P, bandwidthBitsPerSecond: 800e3 });
    // Slow link: #0 fetched at 10 s, inflates [10, 40]; #1 fetched at 20 s (during #0's inflate),
    // inflates [40, 70].
    expect(slow.totalSeconds).toBe(70);
    // Fast link: fetches take 0.01 s each; the 60 s of inflate remain.
    expect(fast.totalSeconds).toBeCloseTo(60.01, 9);
    expect(fast.bottleneck).toBe('decompress');
  });

  it('a store slower than the link sets the fetch pace (blobs are digested and written as they arrive)', () => {
    // Link 100 B/s, store 50 B/s: #0 (100 B) is stored at 2 s, #1 (200 B) at 6 s. #0 unpacks
    // [2, 5] (300 B at 100 B/s), #1 [6, 7]. Without the store limit: 5 s (the overlap case).
    const e = estimateColdStart([layer(100, 300), layer(200, 100)], { ...P, ingestBytesPerSecond: 50 });
    expect(e.layers.map((l) => l.fetchEnd)).toEqual([2, 6]);
    expect(e.fetchSeconds).toBe(6);
    expect(e.totalSeconds).toBe(7);
    expect(e.critical).toEqual({ fetch: 6, decompress: 1, unpack: 0 });
    // A store faster than the link changes nothing.
    expect(estimateColdStart([layer(100, 300), layer(200, 100)], { ...P, ingestBytesPerSecond: 1e6 }).totalSeconds).toBe(5);
  });

  it('an image without layers takes no time', () => {
    const e = estimateColdStart([], P);
    expect(e.totalSeconds).toBe(0);
    expect(e.criticalLayer).toBeNull();
  });
});
