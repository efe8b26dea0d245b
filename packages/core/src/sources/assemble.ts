/**
 * The one assembly step every source ends with: a manifest's layer list + the image config +
 * a blob store that scans one layer blob → a LoadedImage. Done here once: layer-count limits,
 * config validation, diffIDs against layers, one bounded worker pool (identical blobs scanned
 * once; a failure stops the later layers' scans and the earliest layer's error is reported), the layer cache (a wrapper around the blob store,
 * as go-containerregistry's `cache.Image` wraps an image), media-type and size warnings, and
 * the LoadedLayer records. Sources only say where manifest, config and blobs come from.
 */
import { createHash } from 'node:crypto';
import { ImgsizeError, isImgsizeError, throwIfAborted, untilAborted, withContext } from '../errors.js';
import { parseImageConfig } from '../image-config.js';
import { cachedBlobs, scanVariant, type LayerCache } from '../layer-cache.js';
import { scanOptionsFor, type LayerScanOptions } from '../layer-scan.js';
import { checkLayerCount, ResourceMeter, type Limits } from '../limits.js';
import type { BlobCompression, ImageConfigInfo, LayerScan, LoadedLayer, LoadOptions } from '../model.js';
import { compressionOfMediaType } from '../oci-index.js';
import { warning, type ImgsizeWarning } from '../warnings.js';

/** One layer as a manifest names it. */
export interface LayerDescriptor {
  index: number;
  /** The blob's identity inside the source (archive path or digest): equal blobs are scanned once. */
  blob: string;
  /** sha256 of the uncompressed tar, from the config (filled in by `assembleImage`). */
  diffId: string;
  /** Digest of the blob as stored, when the source names blobs by digest (and checks them). */
  digest?: string | undefined;
  /** The media type the manifest declares (none in docker-save `manifest.json`). */
  mediaType?: string | undefined;
  /** The blob size the manifest declares. */
  size?: number | undefined;
  /** How the layer is named in messages (`"abc/layer.tar"`, `sha256:…`). */
  label: string;
}

/** What scanning one layer blob gave. */
export interface BlobScan {
  scan: LayerScan;
  /** What the blob's first bytes say it is (media types lie). */
  compression: BlobCompression;
  /** Bytes of the blob as stored. */
  blobSize: number;
  /** True when the tar was walked positionally (headers only, the fast path). */
  positional?: boolean | undefined;
}

/** Where a source's layer blobs come from: `scan` reads one blob and scans it. */
export interface LayerBlobs {
  scan(layer: LayerDescriptor, options: LayerScanOptions, signal: AbortSignal): Promise<BlobScan>;
}

/** The manifest side of an image, whatever format it came in. */
export interface AssemblyManifest {
  /** How the manifest is named in messages (`manifest.json`, `the manifest`). */
  what: string;
  /** Layers, base first; `index` and `diffId` are filled in here. */
  layers: Omit<LayerDescriptor, 'index' | 'diffId'>[];
  /** docker-save manifests declare no media types: derive them from the bytes. */
  deriveMediaTypes?: boolean | undefined;
}

/** Everything `assembleImage` needs. */
export interface AssemblyInput {
  manifest: AssemblyManifest;
  /** Reads the raw image config (after the manifest's layer count was checked). */
  config: { what: string; read: () => Promise<Buffer> };
  blobs: LayerBlobs;
  load: LoadOptions;
  limits: Limits;
  /** Layers scanned at once (default 1). */
  concurrency?: number | undefined;
  /** Layer cache to use when the load names none (the registry's on-disk default). */
  defaultCache?: LayerCache | undefined;
  /** Read manifest and config only: layers get no scan (registry `metadataOnly`). */
  metadataOnly?: boolean | undefined;
  /**
   * The blobs as stored are what a pull transfers (registries, OCI layouts), so an uncompressed
   * layer's pull size is its blob size. Archives leave it unset: `docker push` compresses them.
   */
  storedAsPulled?: boolean | undefined;
  /** Warnings so far (source-level); layer warnings are appended. */
  warnings: ImgsizeWarning[];
}

/** Non-distributable ("foreign") layers: registries may not hold them; `urls` say where they live. */
export function isForeignLayer(mediaType: string | undefined): boolean {
  return mediaType !== undefined && (mediaType.includes('.foreign.') || mediaType.includes('nondistributable'));
}

/** The assembled parts of a LoadedImage (the source adds its SourceInfo, tags and digests). */
export interface AssembledImage {
  config: ImageConfigInfo;
  /** sha256 of the config bytes that were analysed. */
  configDigest: string;
  layers: LoadedLayer[];
  warnings: ImgsizeWarning[];
  /** True when some layer was walked positionally. */
  positional: boolean;
}

const MEDIA_TYPE_OF: Record<BlobCompression, string> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

/** Checks manifest against config, scans the distinct layer blobs, and builds the layers. */
export async function assembleImage(input: AssemblyInput): Promise<AssembledImage> {
  const { manifest, load, limits, warnings } = input;
  checkLayerCount(manifest.layers.length, limits, manifest.what);
  const configBytes = await input.config.read();
  // The digest of the bytes analysed, whatever the member or descriptor is called.
  const configDigest = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
  const config = parseImageConfig(configBytes, input.config.what, limits.maxMetadataFileBytes);
  checkLayerCount(config.diffIds.length, limits, 'the image config');
  if (config.diffIds.length !== manifest.layers.length) {
    throw new ImgsizeError('E_BAD_MANIFEST', `${manifest.what} lists ${manifest.layers.length} layers but the config has ${config.diffIds.length} diff_ids`);
  }
  const descs: LayerDescriptor[] = manifest.layers.map((l, index) => ({ ...l, index, diffId: config.diffIds[index]! }));
  const missingForeign = new Set<string>();
  const scans = input.metadataOnly ? new Map<string, BlobScan>() : await scanAll(input, descs, missingForeign);
  const layers: LoadedLayer[] = descs.map((d) => {
    const b = scans.get(d.blob);
    const declared = compressionOfMediaType(d.mediaType);
    if (!b && missingForeign.has(d.blob)) {
      warnings.push(
        warning('W_FOREIGN_LAYER', `${d.label}: a non-distributable (foreign) layer that the source does not hold; its contents are not counted`, d.index),
      );
    }
    if (!b) {
      // Metadata only: the descriptor is all there is.
      const compression: BlobCompression = declared === 'auto' ? 'gzip' : declared;
      return { index: d.index, diffId: d.diffId, digest: d.digest, mediaType: d.mediaType, compression, compressedSize: compression === 'none' ? undefined : d.size };
    }
    if (d.size !== undefined && d.size !== b.blobSize) {
      warnings.push(warning('W_BLOB_SIZE', `${d.label}: the manifest says ${d.size} bytes but the blob has ${b.blobSize}`, d.index));
    }
    if (d.mediaType !== undefined && declared !== 'auto' && declared !== b.compression) {
      const is = b.compression === 'none' ? 'an uncompressed tar' : b.compression;
      warnings.push(warning('W_MEDIA_TYPE', `${d.label}: media type ${JSON.stringify(d.mediaType)} says ${declared} but the blob is ${is}`, d.index));
    }
    return {
      index: d.index,
      diffId: d.diffId,
      digest: d.digest,
      mediaType: manifest.deriveMediaTypes ? MEDIA_TYPE_OF[b.compression] : d.mediaType,
      compression: b.compression,
      compressedSize: b.compression === 'none' && !input.storedAsPulled ? undefined : b.blobSize,
      scan: b.scan,
    };
  });
  if (input.metadataOnly) warnings.push(warning('W_METADATA_ONLY', 'metadata only: layer contents were not read; file-level numbers are empty'));
  return { config, configDigest, layers, warnings, positional: [...scans.values()].some((b) => b.positional === true) };
}

/** Scans each distinct blob once, `concurrency` at a time, through the layer cache. */
async function scanAll(input: AssemblyInput, descs: readonly LayerDescriptor[], missingForeign: Set<string>): Promise<Map<string, BlobScan>> {
  const { load, limits } = input;
  const cache = load.layerCache ?? input.defaultCache;
  const variant = scanVariant(load.scan, limits);
  const blobs = cache && variant !== undefined ? cachedBlobs(input.blobs, cache, variant, input.warnings) : input.blobs;
  const unique = new Map<string, LayerDescriptor>();
  for (const d of descs) if (!unique.has(d.blob)) unique.set(d.blob, d);
  const todo = [...unique.values()];
  const out = new Map<string, BlobScan>();
  // A failure stops the scans (and downloads) of later layers; earlier layers' scans run on, so
  // the error reported is the earliest layer's whatever the timing of scans side by side (as one
  // scan at a time would report). A caller's abort stops them all.
  const meter = new ResourceMeter(limits);
  const running = new Map<number, AbortController>();
  const failed: Array<{ index: number; error: unknown }> = [];
  let stopAfter = Infinity;
  const onOuterAbort = (): void => {
    for (const c of running.values()) c.abort(load.signal?.reason);
  };
  load.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const d = todo.shift();
      if (!d || d.index > stopAfter) return;
      throwIfAborted(load.signal);
      const ac = new AbortController();
      running.set(d.index, ac);
      const signal = ac.signal;
      try {
        // Every source's scan answers an abort at once, even while its plugins finish off the
        // event loop (the sampler's last deflates, the zstd what-if) and ignore the signal.
        out.set(d.blob, await untilAborted(blobs.scan(d, scanOptionsFor(load.scan, limits, meter, signal), signal), signal));
      } catch (e) {
        // A missing foreign layer is analysed around (and warned about), as `docker load` allows.
        if (isForeignLayer(d.mediaType) && isImgsizeError(e, 'E_LAYER_MISSING')) {
          missingForeign.add(d.blob);
          continue;
        }
        const error = withContext(e, `layer ${d.index} (${d.label})`);
        failed.push({ index: d.index, error });
        if (!isImgsizeError(e, 'E_ABORTED') && d.index < stopAfter) {
          stopAfter = d.index;
          for (const [k, c] of running) if (k > d.index) c.abort(error);
        }
        return;
      } finally {
        running.delete(d.index);
      }
    }
  };
  const n = Math.max(1, Math.min(input.concurrency ?? 1, 16, todo.length));
  try {
    await Promise.all(Array.from({ length: n }, () => worker()));
    throwIfAborted(load.signal);
    // The earliest layer's real failure, not the aborts it caused in later layers' scans.
    failed.sort((a, b) => a.index - b.index);
    const real = failed.find((f) => !isImgsizeError(f.error, 'E_ABORTED')) ?? failed[0];
    if (real !== undefined) throw real.error;
  } finally {
    load.signal?.removeEventListener('abort', onOuterAbort);
  }
  return out;
}
