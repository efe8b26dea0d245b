/**
 * registry source: reads an image straight from an OCI distribution registry, no temp files.
 * Manifest (Docker schema2 / OCI, through manifest lists and indexes by platform) and config are
 * fetched whole; layer blobs are streamed, verified against their digest while they pass, and
 * decompressed into the layer scanner, several at once. Scans are served from and written to the
 * layer cache by blob digest, so a second look at the same image downloads nothing but JSON.
 */
import { ImgsizeError, isImgsizeError, throwIfAborted, withContext } from '../errors.js';
import { ImageIndex, ImageManifest, type Descriptor, type Platform } from '../image-schemas.js';
import { parseJsonDocument } from '../image-config.js';
import { chainLayerCaches, createLayerCache, type LayerCache } from '../layer-cache.js';
import { scanLayerStream, type LayerScanOptions } from '../layer-scan.js';
import { limitError, resolveLimits } from '../limits.js';
import type { ImageSource, LoadedImage, LoadOptions, Progress } from '../model.js';
import { formatPlatform, looksLikeIndex, parseImageManifest, parsePlatform, selectFromIndex } from '../oci-index.js';
import { blobCompressionOf } from '../codec.js';
import { warning, type ImgsizeWarning } from '../warnings.js';
import { assembleImage, type BlobScan, type LayerBlobs } from './assemble.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { formatRegistryRef, parseRegistryRef, type RegistryRef } from './registry-ref.js';

/** Options of the registry source. */
export interface RegistrySourceOptions extends RegistryClientOptions {
  /** Platform to pick from a multi-platform index (`os/arch[/variant]`; default: the host's). */
  platform?: Platform | string | undefined;
  /** Layers downloaded at once (default 3). */
  concurrency?: number | undefined;
  /** Read manifest and config only: layers get sizes and history but no scan (see `SourceInfo.metadataOnly`). */
  metadataOnly?: boolean | undefined;
  /** Layer cache to use (default: the on-disk cache at `cacheDir` or the XDG default). */
  cache?: LayerCache | undefined;
  cacheDir?: string | undefined;
  /** Neither read nor write the layer cache. */
  noCache?: boolean | undefined;
}

/** Opens `[registry://]host/repo[:tag|@digest]` as an ImageSource. */
export function openRegistry(ref: string | RegistryRef, options: RegistrySourceOptions = {}): ImageSource {
  const parsed = typeof ref === 'string' ? parseRegistryRef(ref) : ref;
  const name = formatRegistryRef(parsed);
  return {
    kind: 'registry',
    description: `registry image ${name}`,
    load: (loadOptions: LoadOptions = {}) => loadRegistry(parsed, name, options, loadOptions),
  };
}

async function loadRegistry(ref: RegistryRef, name: string, opts: RegistrySourceOptions, load: LoadOptions): Promise<LoadedImage> {
  const limits = resolveLimits(load.limits);
  // The source's own options (older, more specific) win over the load's limits.
  const client = new RegistryClient(ref, {
    ...opts,
    maxManifestBytes: opts.maxManifestBytes ?? limits.maxManifestBytes,
    maxRedirects: opts.maxRedirects ?? limits.maxRedirects,
  });
  const signal = load.signal;
  try {
    const top = await client.fetchManifest(ref.reference, signal);
    let doc: unknown;
    try {
      doc = JSON.parse(top.bytes.toString('utf8'));
    } catch {
      doc = undefined;
    }
    const schemaVersion = (doc as { schemaVersion?: unknown } | undefined)?.schemaVersion;
    if (schemaVersion === 1) {
      throw new ImgsizeError('E_UNSUPPORTED', `${name} is a Docker schema 1 manifest, a format deprecated since Docker 1.10, which imgsize does not read`, {
        hint: 'push the image again with a current Docker or skopeo',
      });
    }
    let manifest: ImageManifest;
    let manifestDigest = top.digest;
    const platform = typeof opts.platform === 'string' ? parsePlatform(opts.platform) : opts.platform;
    if (looksLikeIndex(doc)) {
      const index = parseJsonDocument(ImageIndex, top.bytes, `index ${name}`, Math.max(client.maxManifestBytes, limits.maxMetadataFileBytes));
      const readManifest = async (d: Descriptor): Promise<Buffer> => {
        if (d.size > client.maxManifestBytes) throw limitError('maxManifestBytes', client.maxManifestBytes, `manifest ${d.digest} is ${d.size} bytes`);
        const m = await client.fetchManifest(d.digest, signal);
        if (m.bytes.length !== d.size) throw new ImgsizeError('E_DIGEST_MISMATCH', `manifest ${d.digest} is ${m.bytes.length} bytes, the index says ${d.size}`);
        return m.bytes;
      };
      const sel = await selectFromIndex(index, readManifest, { platform, what: name, maxJsonBytes: Math.max(client.maxManifestBytes, limits.maxMetadataFileBytes) });
      manifest = sel.manifest;
      manifestDigest = sel.manifestDigest;
    } else {
      manifest = parseImageManifest(top.bytes, `manifest ${name}`, Math.max(client.maxManifestBytes, limits.maxMetadataFileBytes));
    }
    const warnings: ImgsizeWarning[] = [];
    const diskCache = opts.noCache ? undefined : (opts.cache ?? createLayerCache({ dir: opts.cacheDir, env: opts.env }));
    const cache = load.layerCache && diskCache ? chainLayerCaches(load.layerCache, diskCache) : (load.layerCache ?? diskCache);
    let total = 0;
    let done = 0;
    let nextReport = 0;
    const progress = (n: number, layer: string): void => {
      done += n;
      if (!load.onProgress || done < nextReport) return;
      nextReport = done + (8 << 20);
      const p: Progress = { phase: 'download', bytes: done, totalBytes: total, layer };
      load.onProgress(p);
    };
    const blobs: LayerBlobs = {
      async scan(d, scanOpts, signal) {
        const desc = manifest.layers[d.index]!;
        total += desc.size;
        return scanBlob(client, desc, scanOpts, signal, (n) => progress(n, desc.digest));
      },
    };
    const a = await assembleImage({
      manifest: { what: 'the manifest', layers: manifest.layers.map((d) => ({ blob: d.digest, digest: d.digest, mediaType: d.mediaType, size: d.size, label: d.digest })) },
      config: {
        what: `image config ${manifest.config.digest}`,
        read: () =>
          client.fetchBlob(manifest.config, limits.maxMetadataFileBytes, signal).catch((e: unknown) => {
            throw withContext(e, 'reading the image config');
          }),
      },
      blobs,
      load: { ...load, layerCache: cache },
      limits,
      concurrency: Math.max(1, Math.min(opts.concurrency ?? 3, 16)),
      storedAsPulled: true,
      metadataOnly: opts.metadataOnly,
      warnings,
    });
    const config = a.config;
    if (platform && !looksLikeIndex(doc) && (config.os !== platform.os || config.architecture !== platform.architecture)) {
      a.warnings.unshift(warning('W_PLATFORM', `platform ${formatPlatform(platform)} was asked for, but ${name} is a single-platform image for ${formatPlatform({ os: config.os, architecture: config.architecture, variant: config.variant })}`));
    }
    return {
      source: { kind: 'registry', format: 'registry', ref: name, ...(opts.metadataOnly ? { metadataOnly: true } : {}) },
      repoTags: ref.tag !== undefined ? [`${ref.registry}/${ref.repository}:${ref.tag}`] : [],
      config,
      configDigest: manifest.config.digest,
      manifestDigest,
      ...(manifest.annotations && { annotations: manifest.annotations }),
      layers: a.layers,
      warnings: a.warnings,
    };
  } catch (e) {
    throw client.scrubError(withContext(e, `reading ${name}`));
  } finally {
    client.close();
  }
}

const CONTENT_ERRORS = new Set(['E_DECOMPRESS', 'E_BAD_TAR', 'E_TRUNCATED', 'E_NOT_AN_ARCHIVE', 'E_LIMIT']);

/**
 * Streams one blob into the scanner. When the scanner fails on the content (corrupt gzip, bad
 * tar), the rest of the blob is still read to check its digest: corruption in transit is then
 * reported as what it is, E_DIGEST_MISMATCH.
 */
async function scanBlob(
  client: RegistryClient,
  desc: Descriptor,
  scanOpts: LayerScanOptions,
  signal: AbortSignal,
  onBytes: (n: number) => void,
): Promise<BlobScan> {
  const gen = client.blob(desc, signal, onBytes);
  let head: Buffer | undefined;
  // No `return` method: a scanner that stops early must not close the download we may still drain.
  const shielded: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await gen.next();
        if (!r.done && head === undefined) head = r.value;
        return r;
      },
    }),
  };
  try {
    const scan = await scanLayerStream(shielded, 'auto', scanOpts);
    return { scan, compression: head === undefined ? 'none' : blobCompressionOf(head), blobSize: desc.size };
  } catch (e) {
    if (isImgsizeError(e) && CONTENT_ERRORS.has(e.code) && !signal.aborted) {
      try {
        for (;;) if ((await gen.next()).done) break;
      } catch (e2) {
        if (isImgsizeError(e2, 'E_DIGEST_MISMATCH')) throw e2;
      }
    }
    throw e;
  } finally {
    await gen.return(undefined).catch(() => undefined);
  }
}
