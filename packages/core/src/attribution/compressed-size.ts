/**
 * Estimates the gzip -6 size of every regular file of a layer (and of the whole layer blob) from
 * a small deterministic sample, during the layer scan.
 *
 * What is read: `sampleRanges(path, size, rate)` is a pure function; `rate` follows a schedule
 * over the bytes already requested in this layer (generous for the first MiBs, thin afterwards,
 * plus a hard cap), so small layers are sampled densely and big ones lightly. The stream and the
 * positional walker present the same entries in the same order, so they read the same ranges.
 * - Files up to 64 KiB are read whole when the hash of their directory + name stem falls under
 *   the rate (a module's .py/.pyc variants and headers come in groups that compress together in a
 *   tar stream), and deflated in ~64 KiB batches per content class: one deflate call per batch,
 *   primed with the tail of the previous batch.
 * - Larger files contribute 64 KiB units, about `rate` of their bytes (sublinear above 64 MiB),
 *   spread evenly with a hashed offset. The first 16 KiB of a unit only prime the deflate window
 *   (`dictionary`): a cold 64 KiB deflate costs 2–4% more than the same bytes inside a stream.
 * - A sampled file is estimated from its own measurement; other files from their content class's
 *   ratio in this layer (a Horvitz–Thompson ratio over the sampled files, shrunk toward a prior
 *   when the class has few sampled bytes).
 * - Every tar header costs about HEADER_COST compressed bytes; padding is zeros (nearly free).
 */
import { availableParallelism } from 'node:os';
import { deflateRaw } from 'node:zlib';
import { baseName, parentPath } from '../paths.js';
import type { LayerScan, ScannedEntry } from '../model.js';
import { definePlugin, type LayerScanPlugin, type LayerScanPluginFactory } from '../layer-scan.js';
import type { ByteRange } from '../tar/types.js';
import { createZstdRatioSampler } from '../cold-start/zstd-size.js';
import { FILE_TYPE_CODE, type EntryTable } from '../entry-table.js';

/** Tunables of the sampler (defaults: see SAMPLING_SCHEDULE and BENCHMARKS.md). */
export interface CompressionSamplerOptions {
  /** A fixed share of bytes to read instead of SAMPLING_SCHEDULE (tests, experiments). */
  rate?: number | undefined;
  /** Hard cap of bytes read per layer (default 96 MiB). */
  maxSampleBytesPerLayer?: number | undefined;
  /** Tail budget of a layer whose size is known up front (default TAIL_BUDGET_BYTES). */
  tailBudgetBytes?: number | undefined;
  /** zlib level the estimate is for (default 6, as `gzip` and Docker use). */
  level?: number | undefined;
  /** Also estimate the layer's zstd -3 size from the same sample (default true; see cold-start/zstd-size.ts). */
  zstd?: boolean | undefined;
}

const MiB = 1024 * 1024;
const UNIT = 64 * 1024;
const PRIME = 16 * 1024;
const SMALL = 64 * 1024;
const BATCH = 64 * 1024;
const HUGE = 64 * MiB;
const MAX_UNITS_PER_FILE = 256;
const DEFAULT_LAYER_CAP = 16 * MiB;
/** Sampled bytes a class needs before its own ratio outweighs the prior. */
const PRIOR_BYTES = 32 * 1024;
/** Compressed bytes of one tar header (512 B) in a gzip stream, measured on real layers. */
export const HEADER_COST = 24;
/** gzip header + trailer + end-of-archive blocks. */
const STREAM_OVERHEAD = 40;

/**
 * Share of bytes read, by bytes already requested in the layer: [requested below, rate]. A 10 MB
 * layer is read at ~25%, 100 MB at ~9%, 1 GB at ~2.6%, and no layer beyond the hard cap.
 */
export const SAMPLING_SCHEDULE: ReadonlyArray<readonly [number, number]> = [
  [2 * MiB, 1 / 4],
  [6 * MiB, 1 / 16],
  [Infinity, 1 / 256],
];

/**
 * Bytes the tail of the schedule may read in a layer whose tar size is known up front: its rate
 * drops below the schedule's last one so that the layer's reads end near this budget, spread over
 * the whole layer (a cap reached halfway would leave the end of the layer unsampled).
 */
export const TAIL_BUDGET_BYTES = 10 * MiB;

/** The sampling rate after `requested` bytes of the layer were asked for (`tail` replaces the last rate). */
export function scheduledRate(requested: number, tail?: number): number {
  for (let i = 0; i < SAMPLING_SCHEDULE.length - 1; i++) if (requested < SAMPLING_SCHEDULE[i]![0]) return SAMPLING_SCHEDULE[i]![1];
  return tail ?? SAMPLING_SCHEDULE[SAMPLING_SCHEDULE.length - 1]![1];
}

/** Content classes with their prior compressed/uncompressed ratio (gzip -6). */
export const CONTENT_CLASSES = {
  text: 0.28,
  pyc: 0.45,
  elf: 0.4,
  compressed: 1.0,
  weights: 0.92,
  other: 0.5,
} as const;
export type ContentClass = keyof typeof CONTENT_CLASSES;
const CLASS_LIST = Object.keys(CONTENT_CLASSES) as ContentClass[];

/**
 * GNU gzip -6 output relative to zlib level 6 (what the sampler runs), per class: gzip's own
 * deflate finds slightly longer matches in machine code (measured on /usr/lib, /usr/bin, CUDA:
 * zlib is 1.6–2.3% larger on ELF, within 0.7% on text and .pyc).
 */
const GZIP_VS_ZLIB: Record<ContentClass, number> = { text: 1, pyc: 0.994, elf: 0.982, compressed: 1, weights: 1, other: 0.996 };


const COMPRESSED_EXT =
  /\.(?:gz|tgz|xz|txz|bz2|tbz2?|zst|zstd|lz4|lzma|br|zip|whl|egg|jar|war|7z|rar|deb|rpm|apk|conda|png|jpe?g|gif|webp|avif|ico|mp[34]|m4a|ogg|webm|woff2?|pack|npz|pdf|xlsx|docx)$/i;
const WEIGHTS_EXT = /\.(?:safetensors|gguf|ggml|bin|pt|pth|ckpt|onnx|h5|hdf5|tflite|npy|msgpack|pb|engine|plan|params|pdparams|nemo)$/i;
const TEXT_EXT =
  /\.(?:py|pyi|pyx|pxd|txt|md|rst|json|ya?ml|toml|cfg|ini|conf|xml|x?html?|js|mjs|cjs|ts|tsx|jsx|css|scss|c|cc|cpp|cxx|h|hh|hpp|hxx|cu|cuh|inc|s|sh|bash|pl|pm|rb|go|rs|java|kt|scala|lua|r|csv|tsv|svg|pc|cmake|mk|am|in|m4|sql|po|pot|tex|list|map|properties|gradle|bat|ps1|el|vim|desktop|service|rules|ipynb|license|typed|spec|def|sym|ld|ver)$/i;
const TEXT_NAME = /^(?:readme|license|licence|copying|copyright|authors|changelog|changes|news|notice|makefile|dockerfile|record|metadata|wheel|installer|status|available|packages|sources|release|inrelease|translation-.*|md5sums|conffiles|triggers|shlibs|symbols|templates|postinst|preinst|postrm|prerm|.*\.list)$/i;
const ELF_NAME = /(?:\.so(?:\.\d+)*|\.a|\.o|\.node|\.ko|\.dylib|\.dll|\.exe|\.cubin|\.fatbin)$/i;

/** Returns the content class of a path, from its name (and, for names that say nothing, its directory). */
export function contentClassOf(path: string): ContentClass {
  return contentClassIn(parentPath(path), baseName(path));
}

/** contentClassOf for the file `name` in directory `dir` (a clean path, '' for the root). */
export function contentClassIn(dir: string, name: string): ContentClass {
  if (name.endsWith('.pyc') || name.endsWith('.pyo')) return 'pyc';
  if (COMPRESSED_EXT.test(name)) return 'compressed';
  if (ELF_NAME.test(name)) return 'elf';
  if (WEIGHTS_EXT.test(name)) return 'weights';
  if (TEXT_EXT.test(name) || TEXT_NAME.test(name)) return 'text';
  const d = `${dir}/`;
  if (/(?:^|\/)(?:s?bin|libexec)\//.test(d)) return 'elf';
  if (/(?:^|\/)(?:\.git\/objects|blobs)\//.test(d)) return 'compressed';
  return 'other';
}

/** A prior-only estimate of a file's compressed bytes (used when no sampler ran on its layer). */
export function priorCsize(path: string, size: number): number {
  return priorCsizeIn(parentPath(path), baseName(path), size);
}

/** priorCsize of the file `name` in directory `dir` (no path string is built). */
export function priorCsizeIn(dir: string, name: string, size: number): number {
  const cls = contentClassIn(dir, name);
  return HEADER_COST + size * CONTENT_CLASSES[cls] * GZIP_VS_ZLIB[cls];
}

/** Compressed bytes of a non-file tar entry (its header) and of the stream framing. */
export const ENTRY_COST = { header: HEADER_COST, stream: STREAM_OVERHEAD } as const;

/** A uniform number in [0, 1) from the path and size, salted with `k`: FNV-1a, then a murmur3 finalizer. */
function hashUnit(path: string, size: number, k: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    h ^= path.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= size & 0xffffffff;
  h = Math.imul(h, 0x01000193);
  h ^= Math.floor(size / 0x100000000);
  h = Math.imul(h ^ Math.imul(k + 1, 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

/** Group key of a small file: its directory and name up to the first dot (`dir/foo` for foo.cpython-311.pyc). */
function stemKey(path: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.indexOf('.', slash + 2);
  return dot < 0 ? path : path.slice(0, dot);
}

/** Expected number of units of a file larger than SMALL at `rate` (before rounding and caps). */
function expectedUnits(size: number, rate: number): number {
  const effective = size <= HUGE ? size : Math.sqrt(size * HUGE);
  return (rate * effective) / UNIT;
}

/** Bytes measured per unit (the rest of the unit primes the deflate window). */
const MEASURE = UNIT - PRIME;
/** Windows clipped below this many bytes are dropped: one deflate call's own overhead would dominate. */
const MIN_MEASURE = 4 * 1024;

/** One sampled unit of a large file: read [start, end), measure from `measureFrom`. */
interface Unit {
  start: number;
  end: number;
  measureFrom: number;
}

/**
 * The units of a file larger than SMALL: n measured windows of MEASURE bytes placed so every
 * byte of the file is equally likely to be measured (windows may be clipped at either end; the
 * head of a file is as likely to be measured as its middle), each read with up to PRIME bytes
 * before it to prime the deflate window.
 */
function unitsOf(path: string, size: number, rate: number): Unit[] {
  const expected = expectedUnits(size, rate);
  let n = Math.floor(expected) + (hashUnit(path, size, 1) < expected - Math.floor(expected) ? 1 : 0);
  // Read windows must not overlap: stride ≥ UNIT.
  n = Math.min(n, MAX_UNITS_PER_FILE, Math.floor((size + MEASURE) / UNIT));
  const out: Unit[] = [];
  if (n <= 0) return out;
  const stride = (size + MEASURE) / n;
  const jitter = hashUnit(path, size, 2);
  for (let k = 0; k < n; k++) {
    const m = Math.floor(-MEASURE + (k + jitter) * stride);
    const measureFrom = Math.max(0, m);
    const end = Math.min(size, m + MEASURE);
    if (end - measureFrom < MIN_MEASURE) continue;
    out.push({ start: Math.max(0, measureFrom - PRIME), end, measureFrom });
  }
  return out;
}

/**
 * The payload ranges the sampler reads of a regular file of `size` bytes at `path` when sampling
 * at `rate` (pure: the same inputs always give the same ranges).
 */
export function sampleRanges(path: string, size: number, rate: number): ByteRange[] {
  if (size <= 0) return [];
  if (size <= SMALL) return hashUnit(stemKey(path), 0, 0) < rate ? [[0, size]] : [];
  return unitsOf(path, size, rate).map((u) => [u.start, u.end] as const);
}

/**
 * The rate for a file larger than SMALL when `requested` bytes of the layer were asked for: the
 * schedule integrated over the file's (effective) bytes, so one big file at the start of a layer
 * does not take the generous head rate for all of itself (and with it the whole layer's budget).
 */
function blendedRate(requested: number, size: number, tail: number | undefined): number {
  const effective = size <= HUGE ? size : Math.sqrt(size * HUGE);
  let left = effective;
  let bytes = 0;
  let at = requested;
  for (let i = 0; i < SAMPLING_SCHEDULE.length && left > 0; i++) {
    const last = i === SAMPLING_SCHEDULE.length - 1;
    const rate = last ? (tail ?? SAMPLING_SCHEDULE[i]![1]) : SAMPLING_SCHEDULE[i]![1];
    const upTo = last ? Infinity : SAMPLING_SCHEDULE[i]![0];
    if (at >= upTo) continue;
    const covered = Math.min(left, (upTo - at) / rate);
    bytes += covered * rate;
    at += covered * rate;
    left -= covered;
  }
  return bytes / effective;
}

/** Probability that a file of `size` gets at least one sampled byte at `rate`. */
function inclusionProbability(size: number, rate: number): number {
  if (size <= SMALL) return rate;
  return Math.min(1, expectedUnits(size, rate));
}

/** Size buckets a class's ratio is pooled in before falling back to the whole class. */
const BUCKETS = 3;
function bucketOf(size: number): number {
  return size <= SMALL ? 0 : size <= 4 * MiB ? 1 : 2;
}

interface SmallState {
  kind: 'small';
  cls: ContentClass;
  parts: Buffer[];
  /** Bytes of the class this file stands for (size / inclusion probability). */
  weight: number;
}

interface BigState {
  kind: 'big';
  cls: ContentClass;
  size: number;
  units: Unit[];
  cur: number;
  buf: Buffer;
  filled: number;
  /** Pending deflate jobs of this file's units (their compressed and measured bytes). */
  jobs: Array<Job>;
  weight: number;
}

/** One deflate call, run on libuv's thread pool; `compressed` is set when it completes. */
interface Job {
  measured: number;
  compressed: number;
}

interface Batch {
  parts: Buffer[];
  bytes: number;
  members: Array<{ index: number; weight: number }>;
}

/**
 * What is tallied, in the order the walk produced it (not the order deflates complete), so the
 * stream and positional walkers give bit-identical estimates.
 */
type Measurement =
  | { kind: 'batch'; cls: ContentClass; job: Job; members: Array<{ index: number; weight: number }> }
  | { kind: 'file'; cls: ContentClass; index: number; size: number; weight: number; jobs: Job[] };

/** Horvitz–Thompson tally of one class and size bucket: Σ ratio·weight, Σ weight, bytes actually sampled. */
interface Tally {
  num: number;
  den: number;
  sampled: number;
}

function shrink(t: Tally, fallback: number): number {
  const own = t.den > 0 ? t.num / t.den : fallback;
  return (own * t.sampled + fallback * PRIOR_BYTES) / (t.sampled + PRIOR_BYTES);
}

/**
 * Deflate jobs queued on the thread pool above which the walk waits: each job holds a zlib state
 * (~300 KiB at level 6) and its input, so this bounds memory. At most one job per CPU core (libuv
 * would run 4 at once): more would only take the core the walk itself runs on, and the event loop
 * would stall while the deflates run (issue 11; BENCHMARKS.md §6).
 */
const MAX_IN_FLIGHT = Math.max(1, Math.min(6, availableParallelism()));

/** zlib output chunk of a deflate job: more than deflateBound(max(UNIT, BATCH)). */
const OUT_CHUNK = Math.max(UNIT, BATCH) + 1024;

/**
 * Sets every file's estimated compressed size from its own measured ratio, else its class and
 * size bucket's; returns the layer's estimate (headers and stream framing included). A function
 * of its own, not part of `finish`: one small optimized loop, reading the interned directory and
 * base name (no path string per file).
 */
function applyRatios(t: EntryTable, fileRatio: ReadonlyMap<number, number>, ratios: ReadonlyMap<ContentClass, number[]>): number {
  let total = STREAM_OVERHEAD;
  for (let i = 0; i < t.length; i++) {
    if (t.typeCodes[i] !== FILE_TYPE_CODE) {
      total += HEADER_COST;
      continue;
    }
    const size = t.sizes[i]!;
    const cls = contentClassIn(t.dirs[t.dirOf[i]!]!, t.names[i]!);
    const ratio = (fileRatio.get(i) ?? ratios.get(cls)![bucketOf(size)]!) * GZIP_VS_ZLIB[cls];
    const csize = HEADER_COST + size * ratio;
    t.setCsize(i, csize);
    total += csize;
  }
  return total;
}

/**
 * Creates the layer-scan plugin that fills `entry.csize` for every regular file and
 * `scan.estimatedCompressedBytes` for the layer (gzip -6 estimates), and `scan.estimatedZstdBytes`
 * (zstd -3, when a zstd compressor is available). Samples are deflated on libuv's thread pool
 * while the walk goes on; `finish` waits for them.
 */
export function createCompressionSampler(options: CompressionSamplerOptions = {}): LayerScanPlugin {
  const fixedRate = options.rate;
  const cap = options.maxSampleBytesPerLayer ?? DEFAULT_LAYER_CAP;
  const level = options.level ?? 6;
  const states = new Map<number, SmallState | BigState>();
  const batches = new Map<ContentClass, Batch>();
  const tails = new Map<ContentClass, Buffer>();
  const measurements: Measurement[] = [];
  let requested = 0;
  let tailRate: number | undefined;
  let inFlight = 0;
  let failure: Error | undefined;
  /** Walk steps waiting until at most `limit` jobs are in flight. */
  let waiters: Array<{ limit: number; resolve: () => void }> = [];
  const settled = (limit: number): boolean => inFlight <= limit;
  const zstdSample = options.zstd === false ? undefined : createZstdRatioSampler();

  /** Starts deflating `b` (primed with `dictionary`) on the thread pool; the job's `compressed` is filled on completion. */
  const deflate = (b: Buffer, measured: number, dictionary?: Buffer): Job => {
    const job: Job = { measured, compressed: 0 };
    inFlight++;
    // One output chunk holds the whole result (deflate's bound for UNIT or BATCH input): with
    // zlib's default 16 KiB chunks a job took two or three thread-pool round trips, each with its
    // main-thread callback.
    const opts = dictionary && dictionary.length > 0 ? { level, dictionary, chunkSize: OUT_CHUNK } : { level, chunkSize: OUT_CHUNK };
    deflateRaw(b, opts, (err, out) => {
      inFlight--;
      if (err) failure ??= err;
      else job.compressed = out.length;
      if (waiters.length === 0) return;
      const still: typeof waiters = [];
      for (const w of waiters) (settled(w.limit) ? w.resolve() : still.push(w));
      waiters = still;
    });
    return job;
  };

  /** Undefined when at most `limit` jobs are in flight (0: the pool is idle), else a promise of that. */
  const below = (limit: number): Promise<void> | undefined =>
    settled(limit) ? undefined : new Promise<void>((resolve) => waiters.push({ limit, resolve }));

  const flushBatch = (cls: ContentClass): void => {
    const b = batches.get(cls);
    batches.delete(cls);
    if (!b || b.bytes === 0) return;
    const buf = b.parts.length === 1 ? b.parts[0]! : Buffer.concat(b.parts, b.bytes);
    zstdSample?.add(buf);
    measurements.push({ kind: 'batch', cls, job: deflate(buf, b.bytes, tails.get(cls)), members: b.members });
    tails.set(cls, Buffer.from(buf.subarray(Math.max(0, buf.length - PRIME))));
  };

  const measureUnit = (s: BigState): void => {
    const u = s.units[s.cur]!;
    const buf = s.buf.subarray(0, s.filled);
    const prime = Math.min(u.measureFrom - u.start, buf.length);
    if (buf.length > prime) {
      zstdSample?.add(buf.subarray(prime));
      s.jobs.push(deflate(buf.subarray(prime), buf.length - prime, buf.subarray(0, prime)));
    }
    s.cur++;
    s.filled = 0;
    // the buffer now belongs to the deflate job
    s.buf = Buffer.allocUnsafe(UNIT);
  };

  return {
    begin({ tarBytes }) {
      const last = SAMPLING_SCHEDULE[SAMPLING_SCHEDULE.length - 1]![1];
      if (tarBytes !== undefined && tarBytes > 0) tailRate = Math.min(last, (options.tailBudgetBytes ?? TAIL_BUDGET_BYTES) / tarBytes);
    },
    want(entry: ScannedEntry, index: number) {
      if (entry.type !== 'file' || entry.size === 0 || requested >= cap) return null;
      const rate = fixedRate ?? (entry.size <= SMALL ? scheduledRate(requested, tailRate) : blendedRate(requested, entry.size, tailRate));
      const cls = contentClassOf(entry.path);
      const weight = entry.size / inclusionProbability(entry.size, rate);
      if (entry.size <= SMALL) {
        if (hashUnit(stemKey(entry.path), 0, 0) >= rate) return null;
        requested += entry.size;
        states.set(index, { kind: 'small', cls, parts: [], weight });
        return [[0, entry.size]];
      }
      const units = unitsOf(entry.path, entry.size, rate);
      if (units.length === 0) return null;
      requested += units.reduce((n, u) => n + (u.end - u.start), 0);
      states.set(index, { kind: 'big', cls, size: entry.size, units, cur: 0, buf: Buffer.allocUnsafe(UNIT), filled: 0, jobs: [], weight });
      return units.map((u) => [u.start, u.end] as const);
    },
    data(index, offset, chunk) {
      const s = states.get(index);
      if (!s) return undefined;
      if (s.kind === 'small') {
        s.parts.push(Buffer.from(chunk));
        return undefined;
      }
      let pos = 0;
      while (pos < chunk.length && s.cur < s.units.length) {
        const { start: a, end: b } = s.units[s.cur]!;
        const at = offset + pos;
        if (at >= b) {
          measureUnit(s);
          continue;
        }
        if (at < a) {
          pos += a - at;
          continue;
        }
        const n = Math.min(b - at, chunk.length - pos);
        chunk.copy(s.buf, at - a, pos, pos + n);
        s.filled = at - a + n;
        pos += n;
        if (s.filled === b - a) measureUnit(s);
      }
      return below(MAX_IN_FLIGHT);
    },
    entryEnd(index) {
      const s = states.get(index);
      if (!s) return undefined;
      states.delete(index);
      if (s.kind === 'small') {
        const buf = s.parts.length === 1 ? s.parts[0]! : Buffer.concat(s.parts);
        if (buf.length === 0) return undefined;
        let b = batches.get(s.cls);
        if (!b) batches.set(s.cls, (b = { parts: [], bytes: 0, members: [] }));
        b.parts.push(buf);
        b.bytes += buf.length;
        b.members.push({ index, weight: s.weight });
        if (b.bytes >= BATCH) flushBatch(s.cls);
      } else {
        if (s.filled > 0 && s.cur < s.units.length) measureUnit(s);
        if (s.jobs.length > 0) measurements.push({ kind: 'file', cls: s.cls, index, size: s.size, weight: s.weight, jobs: s.jobs });
      }
      return below(MAX_IN_FLIGHT);
    },
    async finish(scan: LayerScan) {
      for (const cls of CLASS_LIST) flushBatch(cls);
      await below(0);
      if (failure) throw failure;
      const fileRatio = new Map<number, number>();
      const tallies = new Map<ContentClass, Tally[]>(CLASS_LIST.map((c) => [c, Array.from({ length: BUCKETS }, () => ({ num: 0, den: 0, sampled: 0 }))]));
      const tally = (cls: ContentClass, bucket: number, ratio: number, weight: number, sampled: number): void => {
        const t = tallies.get(cls)![bucket]!;
        t.num += ratio * weight;
        t.den += weight;
        t.sampled += sampled;
      };
      for (const m of measurements) {
        if (m.kind === 'batch') {
          const ratio = m.job.compressed / m.job.measured;
          for (const x of m.members) {
            fileRatio.set(x.index, ratio);
            tally(m.cls, 0, ratio, x.weight, m.job.measured / m.members.length);
          }
        } else {
          let compressed = 0;
          let measured = 0;
          for (const j of m.jobs) {
            compressed += j.compressed;
            measured += j.measured;
          }
          const ratio = compressed / measured;
          fileRatio.set(m.index, ratio);
          tally(m.cls, bucketOf(m.size), ratio, m.weight, measured);
        }
      }
      // Per class and size bucket, shrunk toward the whole class, itself shrunk toward the prior.
      const ratios = new Map<ContentClass, number[]>();
      for (const cls of CLASS_LIST) {
        const ts = tallies.get(cls)!;
        const all = ts.reduce((a, t) => ({ num: a.num + t.num, den: a.den + t.den, sampled: a.sampled + t.sampled }), { num: 0, den: 0, sampled: 0 });
        const classRatio = shrink(all, CONTENT_CLASSES[cls]);
        ratios.set(cls, ts.map((t) => shrink(t, classRatio)));
      }
      const total = applyRatios(scan.entries, fileRatio, ratios);
      scan.estimatedCompressedBytes = total;
      const zr = await zstdSample?.ratioAsync(level);
      if (zr !== undefined) scan.estimatedZstdBytes = total * zr;
    },
  };
}

/**
 * The default sampler as a plugin factory with an identity: cached scans are keyed by its id and
 * version, so bump the version whenever the sampler's estimates change.
 */
export const COMPRESSION_SAMPLER: LayerScanPluginFactory = definePlugin('imgsize/compression-sampler', '3', () => createCompressionSampler());
