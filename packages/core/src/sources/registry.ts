/**
 * registry source: reads an image straight from an OCI distribution registry, no temp files.
 * Manifest (Docker schema2 / OCI, through manifest lists and indexes by platform) and config are
 * fetched whole; layer blobs are streamed, verified against their digest while they pass, and
 * decompressed into the layer scanner, several at once. Scans are served from and written to the
 * layer cache by blob digest, so a second look at the same image downloads nothing but JSON.
 */
import { ImgsizeError, isImgsizeError, throwIfAborted, withContext } from '../errors.js';
import { ImageIndex, ImageManifest, type Descriptor, type Platform } from '../image-schemas.js';
import { parseImageConfig, parseJsonDocument } from '../image-config.js';
import { createLayerCache, scanVariant, type LayerCache } from '../layer-cache.js';
import { scanLayerStream, scanOptionsFor } from '../layer-scan.js';
import { checkLayerCount, DEFAULT_LIMITS, limitError, ResourceMeter, resolveLimits, type Limits } from '../limits.js';
import type { BlobCompression, ImageSource, LayerScan, LoadedImage, LoadedLayer, LoadOptions, Progress } from '../model.js';
import { compressionOfMediaType, formatPlatform, looksLikeIndex, parsePlatform, selectFromIndex } from '../oci-index.js';
import { RegistryClient, type RegistryClientOptions } from './registry-client.js';
import { formatRegistryRef, parseRegistryRef, type RegistryRef } from './registry-ref.js';

/** Options of the registry source. */
export interface RegistrySourceOptions extends RegistryClientOptions {
  /** Platform to pick from a multi-platform index (`os/arch[/variant]`; default: the host's). */
  platform?: Platform | string | undefined;
  /** Layers downloaded at once (default 3). */
  concurrency?: number | undefined;
  /** Read manifest and config only: layers get sizes and history but an empty scan (see `SourceInfo.metadataOnly`). */
  metadataOnly?: boolean | undefined;
  /** Layer cache to use (default: the on-disk cache at `cacheDir` or the XDG default). */
  cache?: LayerCache | undefined;
  cacheDir?: string | undefined;
  /** Neither read nor write the layer cache. */
  noCache?: boolean | undefined;
}

/** Returns an empty layer scan (metadata-only loads). */
export function emptyLayerScan(): LayerScan {
  return { entries: [], tarBytes: 0, contentBytes: 0, captured: [], warnings: [] };
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
      throw new ImgsizeError('E_BAD_MANIFEST', `${name} is a Docker schema 1 manifest, which imgsize does not read`, {
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
      manifest = parseJsonDocument(ImageManifest, top.bytes, `manifest ${name}`, Math.max(client.maxManifestBytes, limits.maxMetadataFileBytes));
    }
    checkLayerCount(manifest.layers.length, limits, 'the manifest');
    const configBytes = await client.fetchBlob(manifest.config, limits.maxMetadataFileBytes, signal).catch((e: unknown) => {
      throw withContext(e, 'reading the image config');
    });
    const config = parseImageConfig(configBytes, `image config ${manifest.config.digest}`, limits.maxMetadataFileBytes);
    checkLayerCount(config.diffIds.length, limits, 'the image config');
    if (config.diffIds.length !== manifest.layers.length) {
      throw new ImgsizeError('E_BAD_MANIFEST', `the manifest lists ${manifest.layers.length} layers but the config has ${config.diffIds.length} diff_ids`);
    }
    const warnings: string[] = [];
    if (platform && !looksLikeIndex(doc) && (config.os !== platform.os || config.architecture !== platform.architecture)) {
      warnings.push(`platform ${formatPlatform(platform)} was asked for, but ${name} is a single-platform image for ${formatPlatform({ os: config.os, architecture: config.architecture, variant: config.variant })}`);
    }
    const scans = opts.metadataOnly ? new Map<string, BlobScan>() : await scanLayers(client, manifest.layers, config.diffIds, opts, load, limits);
    const layers: LoadedLayer[] = manifest.layers.map((d, i) => {
      const declared = compressionOfMediaType(d.mediaType);
      const b = scans.get(d.digest);
      const actual = b?.compression ?? (declared === 'auto' ? 'gzip' : declared);
      if (b && declared !== 'auto' && declared !== actual) {
        warnings.push(`layer ${i} (${d.digest}): media type ${d.mediaType ?? ''} says ${declared} but the blob is ${actual === 'none' ? 'an uncompressed tar' : actual}`);
      }
      return {
        index: i,
        diffId: config.diffIds[i]!,
        digest: d.digest,
        mediaType: d.mediaType,
        compression: actual,
        compressedSize: actual === 'none' ? undefined : d.size,
        scan: b?.scan ?? emptyLayerScan(),
      };
    });
    if (opts.metadataOnly) warnings.push('metadata only: layer contents were not read; file-level numbers are empty');
    return {
      source: { kind: 'registry', format: 'registry', ref: name, ...(opts.metadataOnly ? { metadataOnly: true } : {}) },
      repoTags: ref.tag !== undefined ? [`${ref.registry}/${ref.repository}:${ref.tag}`] : [],
      config,
      configDigest: manifest.config.digest,
      manifestDigest,
      layers,
      warnings,
    };
  } catch (e) {
    throw client.scrubError(withContext(e, `reading ${name}`));
  } finally {
    client.close();
  }
}

interface BlobScan {
  scan: LayerScan;
  /** What the blob turned out to be (its first bytes decide, not the media type). */
  compression: BlobCompression;
}

const CONTENT_ERRORS = new Set(['E_DECOMPRESS', 'E_BAD_TAR', 'E_TRUNCATED', 'E_NOT_AN_ARCHIVE', 'E_LIMIT']);

/** Downloads and scans the distinct layer blobs, `concurrency` at a time, through the cache. */
async function scanLayers(
  client: RegistryClient,
  descs: readonly Descriptor[],
  diffIds: readonly string[],
  opts: RegistrySourceOptions,
  load: LoadOptions,
  limits: Limits,
): Promise<Map<string, BlobScan>> {
  const cache = opts.noCache ? undefined : (opts.cache ?? createLayerCache({ dir: opts.cacheDir, env: opts.env }));
  // Of the limits, only the capture size changes what a successful scan holds.
  const variant = scanVariant(
    load.scan?.maxCaptureBytes === undefined && limits.maxMetadataFileBytes !== DEFAULT_LIMITS.maxMetadataFileBytes
      ? { ...load.scan, maxCaptureBytes: limits.maxMetadataFileBytes }
      : load.scan,
  );
  const unique = new Map<string, { desc: Descriptor; diffId: string; index: number }>();
  descs.forEach((d, i) => {
    if (!unique.has(d.digest)) unique.set(d.digest, { desc: d, diffId: diffIds[i]!, index: i });
  });
  const out = new Map<string, BlobScan>();
  const todo: { desc: Descriptor; diffId: string; index: number }[] = [];
  for (const u of unique.values()) {
    const hit = cache ? await cache.get(u.desc.digest, variant) : undefined;
    if (hit && (hit.diffId === undefined || hit.diffId === u.diffId)) {
      out.set(u.desc.digest, { scan: hit.scan, compression: hit.compression ?? declaredCompression(u.desc) });
    }
    else todo.push(u);
  }
  const total = todo.reduce((s, t) => s + t.desc.size, 0);
  let done = 0;
  let nextReport = 0;
  const progress = (n: number, layer: string): void => {
    done += n;
    if (!load.onProgress || done < nextReport) return;
    nextReport = done + (8 << 20);
    const p: Progress = { phase: 'download', bytes: done, totalBytes: total, layer };
    load.onProgress(p);
  };
  // One failure stops the other downloads.
  const inner = new AbortController();
  const onOuterAbort = (): void => inner.abort(load.signal?.reason);
  load.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = inner.signal;
  const scanOpts = scanOptionsFor(load.scan, limits, new ResourceMeter(limits), signal);
  const worker = async (): Promise<void> => {
    for (;;) {
      const t = todo.shift();
      if (!t) return;
      throwIfAborted(signal);
      const b = await scanBlob(client, t.desc, scanOpts, signal, (n) => progress(n, t.desc.digest)).catch((e: unknown) => {
        throw withContext(e, `layer ${t.index} (${t.desc.digest})`);
      });
      out.set(t.desc.digest, b);
      await cache?.put({ key: t.desc.digest, diffId: t.diffId, compressedSize: t.desc.size, compression: b.compression, scan: b.scan }, variant);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 3, 16));
  try {
    const results = await Promise.allSettled(Array.from({ length: n }, () => worker().catch((e: unknown) => {
      inner.abort(e);
      throw e;
    })));
    // Report the first real failure, not the aborts it caused in the other workers.
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    const real = failures.find((e) => !isImgsizeError(e, 'E_ABORTED')) ?? failures[0];
    if (real !== undefined) throw real;
  } finally {
    load.signal?.removeEventListener('abort', onOuterAbort);
  }
  return out;
}

/**
 * Streams one blob into the scanner. When the scanner fails on the content (corrupt gzip, bad
 * tar), the rest of the blob is still read to check its digest: corruption in transit is then
 * reported as what it is, E_DIGEST_MISMATCH.
 */
async function scanBlob(
  client: RegistryClient,
  desc: Descriptor,
  scanOpts: Parameters<typeof scanLayerStream>[2],
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
    return { scan, compression: head === undefined ? 'none' : sniffCompression(head) };
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

function declaredCompression(d: Descriptor): BlobCompression {
  const c = compressionOfMediaType(d.mediaType);
  return c === 'auto' ? 'gzip' : c;
}

/** gzip / zstd by magic number, else an uncompressed tar. */
function sniffCompression(head: Buffer): BlobCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}
