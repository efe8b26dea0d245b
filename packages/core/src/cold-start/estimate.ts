/**
 * The cold-start model (docs/COLD-START.md): a pure function from the layers' sizes and a pull
 * profile to the time until the image is unpacked on a node with an empty store.
 *
 * Per layer, three stages:
 * - fetch: compressed bytes over the link; up to `concurrentDownloads` blobs in flight, in layer
 *   order, sharing the bandwidth equally (a blob finishing hands its share to the others); the
 *   engine digests and stores each blob as it arrives, so a store slower than the link
 *   (`ingestBytesPerSecond`) sets the fetch pace instead;
 * - decompress: uncompressed bytes ÷ the inflate rate of the layer's codec;
 * - unpack: uncompressed bytes ÷ the write rate + entries × the per-entry cost (+ per-layer cost).
 * Decompress and unpack of one layer stream into each other. Where the decompressor runs beside
 * the unpacker (`decompressConcurrent`: unpigz, klauspost zstd) the slower one sets that layer's
 * pace, max(decompress, unpack); where it runs in the unpacker's goroutine (Go compress/gzip) the
 * two add up. Layers unpack in
 * order: layer i starts when layer i−1 is unpacked and its own blob (or every blob, for `ctr pull`)
 * is fetched. Fetches overlap the unpack of earlier layers.
 */
import type { PullProfile } from './profile.js';

/** Codec of a layer blob as pulled. */
export type PullCodec = 'gzip' | 'zstd' | 'none';

/** What the model needs of one layer (base first). */
export interface ColdStartLayerInput {
  /** Bytes on the wire (the compressed blob). */
  compressedBytes: number;
  /** Bytes of the uncompressed layer tar. */
  uncompressedBytes: number;
  /** Tar entries (files, directories, links, whiteouts). */
  entries: number;
  codec: PullCodec;
}

/** The three stages of a layer's pull. */
export type ColdStartStage = 'fetch' | 'decompress' | 'unpack';

/** Timeline of one layer (seconds from the start of the pull). */
export interface ColdStartLayerTiming {
  index: number;
  codec: PullCodec;
  fetchStart: number;
  fetchEnd: number;
  unpackStart: number;
  unpackEnd: number;
  /** Time its decompressor alone needs. */
  decompressSeconds: number;
  /** Time its unpack (writes + per-entry + per-layer cost) alone needs. */
  unpackSeconds: number;
  /** Seconds of the critical path spent on this layer (waiting for its fetch, or unpacking it). */
  criticalSeconds: number;
}

/** The model's answer. */
export interface ColdStartEstimate {
  /** Until the last layer is unpacked. */
  totalSeconds: number;
  /** Until the last blob is fetched and stored (link or store time, with the profile's concurrency). */
  fetchSeconds: number;
  /** Σ decompress time of all layers (one core each, in order). */
  decompressSeconds: number;
  /** Σ unpack time of all layers. */
  unpackSeconds: number;
  /** Seconds of the critical path spent in each stage; they sum to totalSeconds. */
  critical: Record<ColdStartStage, number>;
  /** Share of totalSeconds per stage (critical / total; 0 when total is 0). */
  shares: Record<ColdStartStage, number>;
  /** The stage with the largest critical share. */
  bottleneck: ColdStartStage;
  /** The layer with the most critical-path seconds (null for an image without layers). */
  criticalLayer: number | null;
  layers: ColdStartLayerTiming[];
}

/** Finish times of the fetches: in-order starts, ≤ `concurrency` in flight (0 = all), equal shares of the bandwidth. */
export function simulateFetch(compressedBytes: readonly number[], bytesPerSecond: number, concurrency: number): { start: number[]; end: number[] } {
  const n = compressedBytes.length;
  const start = new Array<number>(n).fill(0);
  const end = new Array<number>(n).fill(0);
  const slots = concurrency <= 0 ? n : concurrency;
  const remaining = compressedBytes.map((b) => Math.max(0, b));
  const active: number[] = [];
  let next = 0;
  let t = 0;
  const admit = (): void => {
    while (active.length < slots && next < n) {
      start[next] = t;
      active.push(next++);
    }
  };
  admit();
  while (active.length > 0) {
    // Zero-byte blobs finish the moment they start.
    const done = active.filter((i) => remaining[i]! <= 0);
    if (done.length === 0) {
      const rate = bytesPerSecond / active.length;
      const step = Math.min(...active.map((i) => remaining[i]!)) / rate;
      t += step;
      for (const i of active) remaining[i] = remaining[i]! - step * rate;
      // Float residue: whatever is within a byte of done is done.
      for (const i of active) if (remaining[i]! < 1e-6) done.push(i);
    }
    for (const i of done) {
      remaining[i] = 0;
      end[i] = t;
      active.splice(active.indexOf(i), 1);
    }
    admit();
  }
  return { start, end };
}

/** Estimates the cold start of an image whose layers (base first) are `layers`, under `profile`. */
export function estimateColdStart(layers: readonly ColdStartLayerInput[], profile: PullProfile): ColdStartEstimate {
  // Blobs stream into the engine's store as they arrive: the slower of the link and the store sets the pace.
  const bytesPerSecond = Math.min(profile.bandwidthBitsPerSecond / 8, profile.ingestBytesPerSecond ?? Infinity);
  const fetch = simulateFetch(
    layers.map((l) => l.compressedBytes),
    bytesPerSecond,
    profile.concurrentDownloads,
  );
  const allFetched = fetch.end.reduce((m, x) => Math.max(m, x), 0);
  const timings: ColdStartLayerTiming[] = [];
  let prevEnd = 0;
  let decompressTotal = 0;
  let unpackTotal = 0;
  layers.forEach((l, i) => {
    const rate = l.codec === 'none' ? Infinity : profile.inflateBytesPerSecond[l.codec];
    const decompressSeconds = l.uncompressedBytes / rate;
    const unpackSeconds = l.uncompressedBytes / profile.writeBytesPerSecond + l.entries * profile.perEntrySeconds + profile.perLayerSeconds;
    const ready = profile.unpackStart === 'after-all-fetched' ? allFetched : fetch.end[i]!;
    const unpackStart = Math.max(prevEnd, ready);
    const concurrent = l.codec === 'none' || profile.decompressConcurrent[l.codec];
    const unpackEnd = unpackStart + (concurrent ? Math.max(decompressSeconds, unpackSeconds) : decompressSeconds + unpackSeconds);
    timings.push({
      index: i,
      codec: l.codec,
      fetchStart: fetch.start[i]!,
      fetchEnd: fetch.end[i]!,
      unpackStart,
      unpackEnd,
      decompressSeconds,
      unpackSeconds,
      criticalSeconds: 0,
    });
    decompressTotal += decompressSeconds;
    unpackTotal += unpackSeconds;
    prevEnd = unpackEnd;
  });

  // Walk the critical path back from the last unpack: each layer's unpack segment goes to its
  // slower stage; where a layer waited for a fetch, everything before is fetch-bound.
  const critical: Record<ColdStartStage, number> = { fetch: 0, decompress: 0, unpack: 0 };
  for (let i = timings.length - 1; i >= 0; i--) {
    const t = timings[i]!;
    const seg = t.unpackEnd - t.unpackStart;
    if (seg >= t.decompressSeconds + t.unpackSeconds - 1e-12) {
      // Serial: both stages are on the path.
      critical.decompress += t.decompressSeconds;
      critical.unpack += seg - t.decompressSeconds;
    } else critical[t.decompressSeconds > t.unpackSeconds ? 'decompress' : 'unpack'] += seg;
    t.criticalSeconds += seg;
    const prev = i > 0 ? timings[i - 1]!.unpackEnd : 0;
    if (t.unpackStart > prev || i === 0) {
      // Waited for a fetch: the path runs through that fetch back to time 0.
      const fetched = profile.unpackStart === 'after-all-fetched' ? lastFetched(timings) : t;
      critical.fetch += t.unpackStart;
      fetched.criticalSeconds += t.unpackStart;
      break;
    }
  }
  const totalSeconds = prevEnd;
  const shares = {
    fetch: totalSeconds > 0 ? critical.fetch / totalSeconds : 0,
    decompress: totalSeconds > 0 ? critical.decompress / totalSeconds : 0,
    unpack: totalSeconds > 0 ? critical.unpack / totalSeconds : 0,
  };
  const bottleneck = (['fetch', 'decompress', 'unpack'] as const).reduce((a, b) => (critical[b] > critical[a] ? b : a));
  const criticalLayer = timings.length === 0 ? null : timings.reduce((a, b) => (b.criticalSeconds > a.criticalSeconds ? b : a)).index;
  return {
    totalSeconds,
    fetchSeconds: allFetched,
    decompressSeconds: decompressTotal,
    unpackSeconds: unpackTotal,
    critical,
    shares,
    bottleneck,
    criticalLayer,
    layers: timings,
  };
}

function lastFetched(timings: ColdStartLayerTiming[]): ColdStartLayerTiming {
  return timings.reduce((a, b) => (b.fetchEnd >= a.fetchEnd ? b : a));
}
