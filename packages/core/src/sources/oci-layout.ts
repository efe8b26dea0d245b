/**
 * oci-layout source: an OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`,
 * https://github.com/opencontainers/image-spec/blob/main/image-layout.md), as `skopeo copy … oci:dir:tag`
 * or `docker buildx --output type=oci,tar=false` write it. The image is chosen by the
 * `org.opencontainers.image.ref.name` annotation and platform, through nested indexes.
 * Uncompressed layers are walked positionally (headers only, the fast path); compressed ones are
 * streamed and their digest checked on the way. Blob paths come only from validated digests.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { ImgsizeError, isImgsizeError, throwIfAborted, withContext } from '../errors.js';
import { ImageIndex, type Descriptor, type Platform } from '../image-schemas.js';
import { parseImageConfig, parseJsonDocument } from '../image-config.js';
import { scanLayerRegion, scanLayerStream, scanOptionsFor, type LayerScanOptions } from '../layer-scan.js';
import { checkLayerCount, limitError, ResourceMeter, resolveLimits } from '../limits.js';
import type { ImageSource, LayerScan, LoadedImage, LoadedLayer, LoadOptions } from '../model.js';
import { compressionOfMediaType, parsePlatform, selectFromIndex } from '../oci-index.js';
import { DIGEST_RE } from './registry-ref.js';

/** Options of the OCI layout source. */
export interface OciLayoutOptions {
  /** Image to pick by `org.opencontainers.image.ref.name` (a tag like `v1`, or `name:tag`). */
  tag?: string | undefined;
  /** Platform to pick from a multi-platform index (default: the host's). */
  platform?: Platform | string | undefined;
  /** Check the digest of compressed layer blobs while scanning them (default true). */
  verifyDigests?: boolean | undefined;
  /** Layers scanned at once (default 2). */
  concurrency?: number | undefined;
}

const OciLayoutFile = z.object({ imageLayoutVersion: z.string() });
const READ_CHUNK = 1 << 20;

/** Opens an OCI image layout directory as an ImageSource. */
export function openOciLayout(dir: string, options: OciLayoutOptions = {}): ImageSource {
  const label = options.tag ? `${dir}:${options.tag}` : dir;
  return {
    kind: 'oci-layout',
    description: `OCI layout ${label}`,
    load: (loadOptions: LoadOptions = {}) =>
      loadLayout(dir, label, options, loadOptions).catch((e: unknown) => {
        throw withContext(e, `reading OCI layout ${label}`, 'E_IO');
      }),
  };
}

/** Maps a digest to its blob path inside the layout, refusing anything that is not a plain digest. */
export function blobPath(root: string, digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new ImgsizeError('E_BAD_MANIFEST', `"${digest}" is not a sha256/sha512 digest`);
  const [alg, hex] = digest.split(':') as [string, string];
  const p = resolve(root, 'blobs', alg, hex);
  if (!p.startsWith(resolve(root, 'blobs') + sep)) throw new ImgsizeError('E_BAD_MANIFEST', `blob path for ${digest} escapes the layout`);
  return p;
}

async function loadLayout(dir: string, label: string, opts: OciLayoutOptions, load: LoadOptions): Promise<LoadedImage> {
  const root = resolve(dir);
  let realRoot: string;
  try {
    const st = await stat(root);
    if (!st.isDirectory()) throw new ImgsizeError('E_IO', `${dir} is not a directory`, { hint: 'for a docker-save or OCI archive file use docker-archive:<path>' });
    realRoot = await realpath(root);
  } catch (e) {
    if (e instanceof ImgsizeError) throw e;
    throw new ImgsizeError('E_IO', `cannot open ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`, { cause: e });
  }
  const limits = resolveLimits(load.limits);
  const maxJson = limits.maxMetadataFileBytes;
  const warnings: string[] = [];
  const layoutText = await readLimited(join(root, 'oci-layout'), maxJson, 'oci-layout').catch((e: unknown) => {
    if (e instanceof ImgsizeError) throw e;
    return undefined;
  });
  if (layoutText === undefined) {
    warnings.push('the directory has no oci-layout file; reading index.json anyway');
  } else {
    const v = parseJsonDocument(OciLayoutFile, layoutText, 'oci-layout', maxJson);
    if (!v.imageLayoutVersion.startsWith('1.')) warnings.push(`oci-layout version ${v.imageLayoutVersion} is newer than imgsize knows (1.x)`);
  }
  let indexBytes: Buffer;
  try {
    const p = join(root, 'index.json');
    const st = await stat(p);
    if (st.size > maxJson) throw limitError('maxMetadataFileBytes', maxJson, `index.json is ${st.size} bytes, over the limit for JSON documents`);
    indexBytes = await readFile(p);
  } catch (e) {
    if (e instanceof ImgsizeError) throw e;
    throw new ImgsizeError('E_NO_MANIFEST', `${dir} has no index.json`, { hint: 'is this an OCI image layout? (skopeo copy … oci:<dir>:<tag> writes one)' });
  }
  const index = parseJsonDocument(ImageIndex, indexBytes, 'index.json', maxJson);

  /** Resolves a blob to a path inside the layout (symlinks included) and checks its size. */
  const locate = async (d: Descriptor): Promise<string> => {
    const p = blobPath(root, d.digest);
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      throw new ImgsizeError('E_LAYER_MISSING', `blob ${d.digest} is not in the layout`);
    }
    if (!real.startsWith(realRoot + sep)) throw new ImgsizeError('E_BAD_MANIFEST', `blob ${d.digest} links outside the layout`);
    const st = await stat(real);
    if (!st.isFile()) throw new ImgsizeError('E_LAYER_MISSING', `blob ${d.digest} is not a regular file`);
    if (st.size !== d.size) throw new ImgsizeError('E_DIGEST_MISMATCH', `blob ${d.digest} is ${st.size} bytes, its descriptor says ${d.size}`);
    return real;
  };
  /** Reads a small blob (manifest, config), verifying its digest. */
  const readBlob = async (d: Descriptor): Promise<Buffer> => {
    if (d.size > maxJson) throw limitError('maxMetadataFileBytes', maxJson, `blob ${d.digest} is ${d.size} bytes, over the limit for JSON documents`);
    const bytes = await readFile(await locate(d));
    const [alg, hex] = d.digest.split(':') as [string, string];
    if (createHash(alg).update(bytes).digest('hex') !== hex) throw new ImgsizeError('E_DIGEST_MISMATCH', `blob ${d.digest} does not match its digest`);
    return bytes;
  };

  const platform = typeof opts.platform === 'string' ? parsePlatform(opts.platform) : opts.platform;
  const sel = await selectFromIndex(index, readBlob, { image: opts.tag ?? load.image, platform, what: 'index.json', maxJsonBytes: maxJson });
  checkLayerCount(sel.manifest.layers.length, limits, 'the image manifest');
  const config = parseImageConfig(await readBlob(sel.manifest.config), `image config ${sel.manifest.config.digest}`, maxJson);
  checkLayerCount(config.diffIds.length, limits, 'the image config');
  const descs = sel.manifest.layers;
  if (config.diffIds.length !== descs.length) {
    throw new ImgsizeError('E_BAD_MANIFEST', `the manifest lists ${descs.length} layers but the config has ${config.diffIds.length} diff_ids`);
  }
  const scanOpts: LayerScanOptions = scanOptionsFor(load.scan, limits, new ResourceMeter(limits), load.signal);
  const verify = opts.verifyDigests !== false;
  const scans = new Map<string, Promise<{ scan: LayerScan; compression: 'none' | 'gzip' | 'zstd'; fast: boolean }>>();
  let fastPath = false;
  let done = 0;
  const total = descs.reduce((s, d) => s + d.size, 0);
  const scanOne = async (d: Descriptor, i: number): Promise<{ scan: LayerScan; compression: 'none' | 'gzip' | 'zstd'; fast: boolean }> => {
    throwIfAborted(load.signal);
    const path = await locate(d);
    // Media types lie (skopeo 1.9 labels uncompressed layers +gzip): the bytes decide.
    const declared = compressionOfMediaType(d.mediaType);
    const kind = await sniffFile(path);
    if (declared !== 'auto' && declared !== kind) {
      warnings.push(`layer ${i} (${d.digest}): media type ${d.mediaType ?? ''} says ${declared} but the blob is ${kind === 'none' ? 'an uncompressed tar' : kind}`);
    }
    let scan: LayerScan;
    if (kind === 'none') {
      // Positional fast path: only headers are read; the size was checked against the descriptor.
      const fh = await open(path, 'r');
      try {
        scan = await scanLayerRegion(fh, 0, d.size, scanOpts);
      } finally {
        await fh.close();
      }
    } else {
      const stream = createReadStream(path, { highWaterMark: READ_CHUNK });
      try {
        scan = await scanLayerStream(verify ? hashing(stream, d.digest) : stream, kind, scanOpts);
      } catch (e) {
        // A blob the decompressor chokes on may simply be corrupt on disk: say so when it is.
        if (verify && isImgsizeError(e) && e.code !== 'E_DIGEST_MISMATCH' && e.code !== 'E_ABORTED' && !(await digestMatches(path, d.digest))) {
          throw new ImgsizeError('E_DIGEST_MISMATCH', `blob ${d.digest} does not match its digest`, { cause: e });
        }
        throw e;
      } finally {
        stream.destroy();
      }
    }
    done += d.size;
    load.onProgress?.({ phase: 'scan', bytes: done, totalBytes: total, layer: d.digest });
    return { scan, compression: kind, fast: kind === 'none' };
  };
  // Bounded concurrency; identical blobs are scanned once.
  const limit = Math.max(1, Math.min(opts.concurrency ?? 2, 8));
  const queue = descs.map((d, i) => ({ d, i }));
  const workers = Array.from({ length: limit }, async () => {
    for (;;) {
      const job = queue.shift();
      if (!job) return;
      if (!scans.has(job.d.digest)) {
        const p = scanOne(job.d, job.i).catch((e: unknown) => {
          throw withContext(e, `layer ${job.i} (${job.d.digest})`);
        });
        scans.set(job.d.digest, p);
        await p;
      }
    }
  });
  await Promise.all(workers);
  const layers: LoadedLayer[] = [];
  for (const [i, d] of descs.entries()) {
    const b = await scans.get(d.digest)!;
    if (b.fast) fastPath = true;
    layers.push({
      index: i,
      diffId: config.diffIds[i]!,
      digest: d.digest,
      mediaType: d.mediaType,
      compression: b.compression,
      compressedSize: b.compression === 'none' ? undefined : d.size,
      scan: b.scan,
    });
  }
  return {
    source: { kind: 'oci-layout', format: 'oci-layout', ref: label, fastPath },
    repoTags: sel.refName ? [sel.refName] : [],
    config,
    configDigest: sel.manifest.config.digest,
    manifestDigest: sel.manifestDigest,
    layers,
    warnings,
  };
}

/** Reads a small file, refusing (E_LIMIT) one longer than `max` before reading it. */
async function readLimited(path: string, max: number, what: string): Promise<string> {
  const st = await stat(path);
  if (st.size > max) throw limitError('maxMetadataFileBytes', max, `${what} is ${st.size} bytes, over the limit for JSON documents`);
  return readFile(path, 'utf8');
}

/** Layer compression from the first bytes, when the media type does not say. */
async function sniffFile(path: string): Promise<'none' | 'gzip' | 'zstd'> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
    return 'none';
  } finally {
    await fh.close();
  }
}

async function digestMatches(path: string, digest: string): Promise<boolean> {
  const [alg, hex] = digest.split(':') as [string, string];
  const h = createHash(alg);
  for await (const c of createReadStream(path, { highWaterMark: READ_CHUNK })) h.update(c as Buffer);
  return h.digest('hex') === hex;
}

/** Passes bytes through and fails at the end (before the consumer finishes) if the digest differs. */
async function* hashing(source: AsyncIterable<Buffer>, digest: string): AsyncGenerator<Buffer> {
  const [alg, hex] = digest.split(':') as [string, string];
  const h = createHash(alg);
  for await (const c of source) {
    h.update(c);
    yield c;
  }
  if (h.digest('hex') !== hex) throw new ImgsizeError('E_DIGEST_MISMATCH', `blob ${digest} does not match its digest`);
}

