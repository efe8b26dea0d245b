/**
 * Scans one layer tar into a LayerScan: every entry (path cleaned), the captured metadata files
 * package attribution needs, and whatever the scan plugins compute (compression sampling).
 * The same bytes give the same LayerScan whichever walker (stream or positional) read them.
 */
import type { FileHandle } from 'node:fs/promises';
import { readSync } from 'node:fs';
import type { CapturedFile, LayerScan, ScannedEntry, BlobCompression } from './model.js';
import type { ByteRange, ByteSink, TarEntryHeader, TarLimits, TarVisitor, TarWalkResult } from './tar/types.js';
import { TarStreamWalker } from './tar/stream-walker.js';
import { walkTarRegion } from './tar/positional-walker.js';
import { createDecompressSink, decompressOptionsOf, isUnsupportedCompression, sniffLayer, unsupportedCompression, type DecompressOptions } from './codec.js';
import { ImgsizeError } from './errors.js';
import { EntryTable } from './entry-table.js';
import { DEFAULT_LIMITS, ResourceMeter, type Limits } from './limits.js';
import { tarLimitsOf } from './tar/types.js';
import { cleanPath, pathHazards, PATH_HAZARD_TEXT, type PathHazard } from './paths.js';
import { captureLimitOf, isMetadataPath, isRpmDatabasePath } from './metadata-paths.js';
import { warning, type ImgsizeWarning } from './warnings.js';

/** Positional reads of one file's payload (fast path only): up to `length` bytes at `offset`. */
export interface PayloadAccess {
  read(offset: number, length: number): Buffer;
}

/** Per-layer add-on that asks for some file bytes and post-processes the scan (e.g. sampling). */
export interface LayerScanPlugin {
  /** Called before the walk with what is known of the layer (its tar size, when known up front). */
  begin?(info: { tarBytes?: number | undefined }): void;
  /**
   * Payload ranges of this regular file the plugin wants, or null. On the fast path `access`
   * reads any part of the payload right away (synchronously, before the walk moves on).
   */
  want(entry: ScannedEntry, index: number, access?: PayloadAccess): readonly ByteRange[] | null;
  /**
   * Bytes of a wanted range; a returned promise holds the walk back (backpressure). `chunk` is
   * borrowed (TarVisitor.data): copy what you keep past the call or its promise.
   */
  data(index: number, offset: number, chunk: Buffer): void | Promise<void>;
  /** The entry's wanted bytes were all delivered; a returned promise holds the walk back (backpressure). */
  entryEnd(index: number): void | Promise<void>;
  /** Called once at the end; may fill `csize` and `estimatedCompressedBytes` (and may be async). */
  finish(scan: LayerScan): void | Promise<void>;
}

/**
 * Makes one plugin per layer. `id` and `version` name what the plugin computes: scans are cached
 * under them (layer-cache.ts `scanVariant`), so bump `version` when its output changes. A factory
 * without both is run, but its scans are never cached (nothing tells two anonymous plugins apart).
 */
export type LayerScanPluginFactory = (() => LayerScanPlugin) & { readonly id?: string; readonly version?: string };

/** Returns a plugin factory with an identity (see LayerScanPluginFactory). */
export function definePlugin(id: string, version: string, create: () => LayerScanPlugin): LayerScanPluginFactory {
  return Object.assign(() => create(), { id, version });
}

export interface LayerScanOptions {
  /** Which regular files to capture whole (default: package-manager metadata, see metadata-paths.ts). */
  capture?: ((path: string, size: number) => boolean) | undefined;
  /** Max bytes kept of one captured file (default `Limits.maxMetadataFileBytes`); longer files are kept truncated. */
  maxCaptureBytes?: number | undefined;
  /** Max bytes captured in one layer (default: no per-layer cap, only the load's `meter`); further captures are skipped with a warning. */
  maxCaptureTotal?: number | undefined;
  /**
   * Length of the uncompressed layer tar when known before the walk (an uncompressed archive
   * member): plugins spread their byte budgets over it. Both readers of a source must pass the same.
   */
  tarBytesHint?: number | undefined;
  /** Plugin factories; each is called once per layer. */
  plugins?: ReadonlyArray<LayerScanPluginFactory> | undefined;
  limits?: Partial<TarLimits> | undefined;
  /** Decompression limits for compressed layer blobs (default: DEFAULT_LIMITS). */
  decompress?: DecompressOptions | undefined;
  /**
   * Counters shared by all the layer scans of one load (`maxEntriesTotal`, `maxMetadataBytesTotal`);
   * default: a meter of this layer alone, with DEFAULT_LIMITS.
   */
  meter?: ResourceMeter | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * The scan options a source uses for one load: the caller's `scan` options over the tar,
 * decompression and capture limits of `limits`, sharing `meter` across all the load's layers.
 */
export function scanOptionsFor(
  scan: LayerScanOptions | undefined,
  limits: Limits,
  meter: ResourceMeter,
  signal: AbortSignal | undefined,
): LayerScanOptions {
  return {
    ...scan,
    limits: { ...tarLimitsOf(limits), ...scan?.limits },
    decompress: scan?.decompress ?? decompressOptionsOf(limits),
    meter: scan?.meter ?? meter,
    signal,
  };
}

interface Consumer {
  ranges: readonly ByteRange[];
  data(offset: number, chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
}

/**
 * Builds the TarVisitor for one layer and turns the walk result into a LayerScan. `readAt` reads
 * the tar stream at any offset (fast path): plugins then get positional access to payloads.
 */
export function createLayerVisitor(options: LayerScanOptions = {}, readAt?: (position: number, length: number) => Buffer): {
  visitor: TarVisitor;
  finish(walk: TarWalkResult): Promise<LayerScan>;
} {
  const capture = options.capture ?? isMetadataPath;
  const meter = options.meter ?? new ResourceMeter({ ...DEFAULT_LIMITS });
  const maxCaptureOf = (path: string): number => options.maxCaptureBytes ?? captureLimitOf(path, meter.limits);
  const maxCaptureTotal = options.maxCaptureTotal ?? Infinity;
  const plugins = (options.plugins ?? []).map((make) => make());
  for (const p of plugins) p.begin?.({ tarBytes: options.tarBytesHint });
  const entries = new EntryTable();
  const captured: CapturedFile[] = [];
  const warnings: ImgsizeWarning[] = [];
  // One warning per hazard kind per layer, quoting the first raw name (docs/RELIABILITY.md, "paths").
  const hazards = new Map<PathHazard, { first: string; count: number }>();
  let capturedTotal = 0;
  let contentBytes = 0;
  let consumers: Consumer[] = [];
  const sparse = { files: 0, logical: 0, stored: 0 };

  const visitor: TarVisitor = {
    entry(h: TarEntryHeader) {
      meter.addEntry();
      for (const hz of pathHazards(h.name)) {
        const seen = hazards.get(hz);
        if (seen) seen.count++;
        else hazards.set(hz, { first: h.name, count: 1 });
      }
      // The plugins' view of the entry; the scan keeps it by column (entry-table.ts; issue 16).
      const entry: ScannedEntry = {
        path: cleanPath(h.name),
        type: h.type,
        size: h.type === 'file' ? h.size : 0,
        mode: h.mode,
        linkTarget: h.linkname !== undefined && (h.type === 'symlink' || h.type === 'hardlink') ? h.linkname : undefined,
        csize: undefined,
      };
      const index = entries.push(entry.path, entry.type, entry.size, entry.mode, entry.linkTarget);
      consumers = [];
      if (h.type !== 'file' || h.size === 0) {
        if (h.type === 'file' && capture(entry.path, 0)) captured.push({ path: entry.path, content: Buffer.alloc(0), truncated: false });
        return null;
      }
      contentBytes += h.size;
      if (h.dataSize !== undefined) {
        // A sparse file: its payload is data segments (and a map), not the file's bytes in order,
        // so neither captures nor plugins read it.
        sparse.files++;
        sparse.logical += h.size;
        sparse.stored += h.dataSize;
        return null;
      }
      if (capture(entry.path, h.size)) {
        const keep = Math.min(h.size, maxCaptureOf(entry.path));
        if (capturedTotal + keep > maxCaptureTotal) {
          warnings.push(warning('W_CAPTURE_SKIPPED', `metadata file ${JSON.stringify(`/${entry.path}`)} not read: over the per-layer capture limit (maxCaptureTotal = ${maxCaptureTotal})`));
        } else if (!meter.reserveMetadata(keep)) {
          warnings.push(
            warning('W_CAPTURE_SKIPPED', `metadata file ${JSON.stringify(`/${entry.path}`)} not read: the image's metadata files pass ${meter.limits.maxMetadataBytesTotal} bytes together (limit maxMetadataBytesTotal)`),
          );
        } else {
          capturedTotal += keep;
          const buf = Buffer.allocUnsafe(keep);
          consumers.push({
            ranges: [[0, keep]],
            data(offset, chunk) {
              chunk.copy(buf, offset);
            },
            end() {
              captured.push({ path: entry.path, content: buf, truncated: keep < h.size });
              if (keep < h.size) {
                const limit = options.maxCaptureBytes !== undefined ? 'maxCaptureBytes' : isRpmDatabasePath(entry.path) ? 'maxPackageDatabaseBytes' : 'maxMetadataFileBytes';
                warnings.push(warning('W_CAPTURE_TRUNCATED', `metadata file ${JSON.stringify(`/${entry.path}`)} truncated to ${keep} of ${h.size} bytes (limit ${limit})`));
              }
            },
          });
        }
      }
      const access: PayloadAccess | undefined = readAt && {
        read: (offset, length) => readAt(h.offset + offset, Math.max(0, Math.min(length, h.size - offset))),
      };
      for (const p of plugins) {
        const r = p.want(entry, index, access);
        if (r && r.length > 0) {
          consumers.push({ ranges: r, data: (o, c) => p.data(index, o, c), end: () => p.entryEnd(index) });
        }
      }
      if (consumers.length === 0) return null;
      if (consumers.length === 1) return consumers[0]!.ranges;
      return mergeRanges(consumers.flatMap((c) => c.ranges));
    },
    data(offset, chunk) {
      if (consumers.length === 1) return consumers[0]!.data(offset, chunk);
      let wait: Promise<void> | undefined;
      for (const c of consumers) {
        const p = deliver(c, offset, chunk);
        if (p) wait = wait ? wait.then(() => p) : p;
      }
      return wait;
    },
    entryEnd() {
      let wait: Promise<void> | undefined;
      for (const c of consumers) {
        const p = c.end();
        if (p) wait = wait ? wait.then(() => p) : p;
      }
      consumers = [];
      return wait;
    },
  };

  return {
    visitor,
    async finish(walk) {
      const hazardWarnings = [...hazards].map(([hz, { first, count }]) =>
        warning('W_PATH_HAZARD', `entry name ${JSON.stringify(first)} ${PATH_HAZARD_TEXT[hz]}${count > 1 ? ` (and ${count - 1} more)` : ''}`),
      );
      if (sparse.files > 0) {
        warnings.push(
          warning(
            'W_SPARSE',
            `${sparse.files} sparse file${sparse.files === 1 ? '' : 's'}: counted at ${sparse.logical} bytes (logical size, as docker sees them); the layer stores ${sparse.stored} bytes of them`,
          ),
        );
      }
      const scan: LayerScan = {
        entries: entries.seal(),
        tarBytes: walk.tarBytes,
        contentBytes,
        captured,
        warnings: [...walk.warnings.map((w) => warning('W_LAYER_TAR', w)), ...hazardWarnings, ...warnings],
      };
      for (const p of plugins) await p.finish(scan);
      return scan;
    },
  };
}

/** Delivers the parts of `chunk` (at payload `offset`) that fall inside the consumer's ranges. */
function deliver(c: Consumer, offset: number, chunk: Buffer): Promise<void> | undefined {
  const end = offset + chunk.length;
  let wait: Promise<void> | undefined;
  for (const [s, e] of c.ranges) {
    if (e <= offset) continue;
    if (s >= end) break;
    const from = Math.max(s, offset);
    const to = Math.min(e, end);
    const p = c.data(from, chunk.subarray(from - offset, to - offset));
    if (p) wait = wait ? wait.then(() => p) : p;
  }
  return wait;
}

/** Sorted union of ranges. */
export function mergeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * A push sink that scans a layer blob: decompresses it first when `compression` says so, or
 * sniffs the first bytes when it is 'auto'.
 */
export function createLayerSink(compression: BlobCompression | 'auto', options: LayerScanOptions = {}): ByteSink<LayerScan> {
  const { visitor, finish } = createLayerVisitor(options);
  const walker = new TarStreamWalker(visitor, { limits: options.limits, signal: options.signal });
  const tarSink: ByteSink<LayerScan> = {
    write: (c) => walker.write(c),
    end: async () => await finish(await walker.end()),
    destroy: (e) => walker.destroy(e),
  };
  if (compression === 'none') return tarSink;
  if (compression !== 'auto') return createDecompressSink(compression, tarSink, options.decompress);
  return sniffingSink(tarSink, options.decompress);
}

/** Buffers the first bytes, decides plain tar vs gzip vs zstd, then streams through. */
function sniffingSink(tarSink: ByteSink<LayerScan>, decompress: DecompressOptions | undefined): ByteSink<LayerScan> {
  let head: Buffer[] = [];
  let headLen = 0;
  let target: ByteSink<LayerScan> | undefined;
  const decide = (): ByteSink<LayerScan> => {
    const buf = Buffer.concat(head);
    const kind = sniffLayer(buf);
    if (kind === 'gzip' || kind === 'zstd') target = createDecompressSink(kind, tarSink, decompress);
    else if (kind === 'tar' || buf.length === 0) target = tarSink;
    else if (isUnsupportedCompression(kind)) throw unsupportedCompression(kind, 'the layer blob');
    else throw new ImgsizeError('E_NOT_AN_ARCHIVE', 'layer blob is neither a tar archive nor gzip/zstd-compressed');
    return target;
  };
  return {
    async write(chunk) {
      if (target) return target.write(chunk);
      head.push(Buffer.from(chunk)); // borrowed chunks (fd-reader.ts): kept across writes, so copied
      headLen += chunk.length;
      if (headLen < 512) return;
      const t = decide();
      const buf = Buffer.concat(head);
      head = [];
      await t.write(buf);
    },
    async end() {
      if (!target) {
        const t = decide();
        const buf = Buffer.concat(head);
        head = [];
        if (buf.length > 0) await t.write(buf);
      }
      return target!.end();
    },
    destroy(e) {
      (target ?? tarSink).destroy(e);
    },
  };
}

/** Scans a layer from an async byte stream. */
export async function scanLayerStream(
  source: AsyncIterable<Buffer>,
  compression: BlobCompression | 'auto',
  options: LayerScanOptions = {},
): Promise<LayerScan> {
  const sink = createLayerSink(compression, options);
  try {
    for await (const chunk of source) await sink.write(chunk);
    return await sink.end();
  } catch (e) {
    sink.destroy(e instanceof Error ? e : undefined);
    throw e;
  }
}

/**
 * Scans an uncompressed layer tar stored at [start, start+length) of an open file (fast path).
 * `onWalked` is called when the walk is over (or failed), before the plugins finish.
 */
export async function scanLayerRegion(
  fh: FileHandle,
  start: number,
  length: number,
  options: LayerScanOptions = {},
  onProgress?: (offset: number) => void,
  onWalked?: () => void,
): Promise<LayerScan> {
  const readAt = (position: number, n: number): Buffer => {
    const buf = Buffer.allocUnsafe(Math.max(0, Math.min(n, length - position)));
    let got = 0;
    while (got < buf.length) {
      const r = readSync(fh.fd, buf, got, buf.length - got, start + position + got);
      if (r === 0) break;
      got += r;
    }
    return buf.subarray(0, got);
  };
  const { visitor, finish } = createLayerVisitor({ ...options, tarBytesHint: options.tarBytesHint ?? length }, readAt);
  let walk;
  try {
    walk = await walkTarRegion(fh, start, length, visitor, { limits: options.limits, signal: options.signal, onProgress });
  } finally {
    onWalked?.();
  }
  return await finish(walk);
}
