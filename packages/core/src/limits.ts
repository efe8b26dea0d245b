/**
 * Resource limits: the one place that says how much work and memory hostile or broken input may
 * cost. Every source resolves `LoadOptions.limits` (a partial override) against DEFAULT_LIMITS
 * once and threads the result into the tar walkers, decompressors, metadata capture and JSON
 * parsing. Exceeding a limit is E_LIMIT, with a message naming the limit and a hint saying how to
 * raise it. Defaults are chosen never to trip on real images (docs/RELIABILITY.md says why).
 */
import { ImgsizeError } from './errors.js';

/** Every resource limit imgsize enforces; pass a `Partial<Limits>` as `limits` to override. */
export interface Limits {
  /** Max bytes one decompression stream (a layer blob, or a whole `docker save | gzip` archive) may produce. */
  maxDecompressedBytes: number;
  /** Max output/input ratio of one decompression stream, checked once its output passes `ratioCheckMinBytes`. */
  maxCompressionRatio: number;
  /** Output size from which `maxCompressionRatio` applies (small blobs of zeros legitimately compress ~1000:1). */
  ratioCheckMinBytes: number;
  /** Max entries (files, dirs, links, whiteouts) in one layer tar. */
  maxEntriesPerLayer: number;
  /** Max entries in all the layer tars one load scans together (memory: every entry is kept). */
  maxEntriesTotal: number;
  /** Max bytes of an entry name or link target (after pax / GNU long-name records). */
  maxPathLength: number;
  /** Max number of segments of an entry name (`a/b/c` has 3). */
  maxPathDepth: number;
  /** Max bytes of one pax extended header or GNU long name / long link record. */
  maxTarMetaRecordBytes: number;
  /**
   * Max bytes read from any one metadata file: JSON documents (manifest.json, index.json,
   * manifests, configs) over it are E_LIMIT; captured package metadata (dpkg status, RECORD,
   * conda-meta) is kept up to it and flagged truncated, with a warning.
   */
  maxMetadataFileBytes: number;
  /**
   * Max bytes captured of one rpm database file (`rpmdb.sqlite`, `Packages.db`, BerkeleyDB
   * `Packages`): they run to tens of MB (UBI 8 ≈ 20 MB, a full CentOS 7 ≈ 100 MB). A longer one is
   * kept truncated, with a warning; all captures still count against `maxMetadataBytesTotal`.
   */
  maxPackageDatabaseBytes: number;
  /**
   * Max bytes of metadata kept in memory at once by one load: captured package-metadata files
   * across all layers, plus JSON documents buffered from an archive stream.
   */
  maxMetadataBytesTotal: number;
  /** Max layers of one image (manifest entries and config diff_ids). */
  maxLayers: number;
  /** Max bytes of a registry manifest or index. */
  maxManifestBytes: number;
  /** Max HTTP redirects followed per registry request. */
  maxRedirects: number;
}

/** Safe defaults: far above any real image, low enough that no input can exhaust a normal machine. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxDecompressedBytes: 256 * 2 ** 30,
  maxCompressionRatio: 200,
  ratioCheckMinBytes: 2 ** 30,
  maxEntriesPerLayer: 1_500_000,
  maxEntriesTotal: 3_000_000,
  maxPathLength: 16 * 1024,
  maxPathDepth: 1024,
  maxTarMetaRecordBytes: 1 << 20,
  maxMetadataFileBytes: 32 << 20,
  maxPackageDatabaseBytes: 256 << 20,
  maxMetadataBytesTotal: 512 << 20,
  maxLayers: 1000,
  maxManifestBytes: 4 << 20,
  maxRedirects: 5,
});

/** The names of all limits, in documentation order. */
export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/** Merges `overrides` over DEFAULT_LIMITS; E_USAGE for an unknown name or a value that is not a non-negative integer. */
export function resolveLimits(overrides: Partial<Limits> | undefined): Limits {
  if (overrides === undefined) return { ...DEFAULT_LIMITS };
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) continue;
    if (!(k in DEFAULT_LIMITS)) {
      throw new ImgsizeError('E_USAGE', `unknown limit "${k}"`, { hint: `limits are: ${LIMIT_NAMES.join(', ')}` });
    }
    if (typeof v !== 'number' || !(Number.isSafeInteger(v) || v === Infinity) || v < 0) {
      throw new ImgsizeError('E_USAGE', `limit ${k} must be a non-negative integer (or Infinity), not ${String(v)}`);
    }
    out[k as keyof Limits] = v;
  }
  return out;
}

/** Builds the E_LIMIT error for `name`: `what` says what was too big; the hint says how to raise the limit. */
export function limitError(name: keyof Limits, limits: Pick<Limits, typeof name> | number, what: string): ImgsizeError {
  const value = typeof limits === 'number' ? limits : limits[name];
  return new ImgsizeError('E_LIMIT', `${what} (limit ${name} = ${value})`, {
    hint: `if this input is legitimate, raise the limit: --limit ${name}=${suggest(value)} (library: analyzeImage(source, { limits: { ${name}: ${suggest(value)} } }))`,
  });
}

function suggest(v: number): string {
  if (!Number.isFinite(v) || v <= 0) return '<n>';
  const n = v * 4;
  return Number.isSafeInteger(n) ? String(n) : 'Infinity';
}

/**
 * Counters shared by every layer scan of one load, for the per-load limits (`maxEntriesTotal`,
 * `maxMetadataBytesTotal`). The stream reader scans every blob of an archive before it knows
 * which ones the manifest references, so unreferenced blobs count too.
 */
export class ResourceMeter {
  entries = 0;
  metadataBytes = 0;
  readonly limits: Limits;

  constructor(limits: Limits) {
    this.limits = limits;
  }

  /** Counts one more entry; E_LIMIT past maxEntriesTotal. */
  addEntry(): void {
    if (++this.entries > this.limits.maxEntriesTotal) {
      throw limitError('maxEntriesTotal', this.limits, `the layers hold more than ${this.limits.maxEntriesTotal} entries together`);
    }
  }

  /** Reserves `n` bytes of metadata memory; false (nothing reserved) when that would pass maxMetadataBytesTotal. */
  reserveMetadata(n: number): boolean {
    if (this.metadataBytes + n > this.limits.maxMetadataBytesTotal) return false;
    this.metadataBytes += n;
    return true;
  }

  /** Gives back `n` reserved bytes (a buffered document that turned out not to be needed). */
  releaseMetadata(n: number): void {
    this.metadataBytes = Math.max(0, this.metadataBytes - n);
  }
}

/** Throws E_LIMIT when an image has more than maxLayers layers. */
export function checkLayerCount(n: number, limits: Limits, what: string): void {
  if (n > limits.maxLayers) throw limitError('maxLayers', limits, `${what} lists ${n} layers`);
}
