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
import { parseJsonDocument } from '../image-config.js';
import { scanLayerRegion, scanLayerStream } from '../layer-scan.js';
import { limitError, resolveLimits } from '../limits.js';
import type { BlobCompression, ImageSource, LayerScan, LoadedImage, LoadOptions } from '../model.js';
import { parsePlatform, selectFromIndex } from '../oci-index.js';
import { blobCompressionOf } from '../codec.js';
import { warning, type ImgsizeWarning } from '../warnings.js';
import { assembleImage, type LayerBlobs } from './assemble.js';
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
  const warnings: ImgsizeWarning[] = [];
  const layoutText = await readLimited(join(root, 'oci-layout'), maxJson, 'oci-layout').catch((e: unknown) => {
    if (e instanceof ImgsizeError) throw e;
    return undefined;
  });
  if (layoutText === undefined) {
    warnings.push(warning('W_OCI_LAYOUT', 'the directory has no oci-layout file; reading index.json anyway'));
  } else {
    const v = parseJsonDocument(OciLayoutFile, layoutText, 'oci-layout', maxJson);
    if (!v.imageLayoutVersion.startsWith('1.')) warnings.push(warning('W_OCI_LAYOUT', `oci-layout version ${v.imageLayoutVersion} is newer than imgsize knows (1.x)`));
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
  const locate = async (d: Pick<Descriptor, 'digest' | 'size'>): Promise<string> => {
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
  const verify = opts.verifyDigests !== false;
  let done = 0;
  const total = sel.manifest.layers.reduce((s, d) => s + d.size, 0);
  const blobs: LayerBlobs = {
    async scan(d, scanOpts, signal) {
      throwIfAborted(signal);
      const size = d.size!;
      const path = await locate({ digest: d.digest!, size });
      // Media types lie (skopeo 1.9 labels uncompressed layers +gzip): the bytes decide.
      const kind = await sniffFile(path);
      let scan: LayerScan;
      if (kind === 'none') {
        // Positional fast path: only headers are read; the size was checked against the descriptor.
        const fh = await open(path, 'r');
        try {
          scan = await scanLayerRegion(fh, 0, size, scanOpts);
        } finally {
          await fh.close();
        }
      } else {
        const stream = createReadStream(path, { highWaterMark: READ_CHUNK });
        try {
          scan = await scanLayerStream(verify ? hashing(stream, d.digest!) : stream, kind, scanOpts);
        } catch (e) {
          // A blob the decompressor chokes on may simply be corrupt on disk: say so when it is.
          if (verify && isImgsizeError(e) && e.code !== 'E_DIGEST_MISMATCH' && e.code !== 'E_ABORTED' && !(await digestMatches(path, d.digest!))) {
            throw new ImgsizeError('E_DIGEST_MISMATCH', `blob ${d.digest} does not match its digest`, { cause: e });
          }
          throw e;
        } finally {
          stream.destroy();
        }
      }
      done += size;
      load.onProgress?.({ phase: 'scan', bytes: done, totalBytes: total, layer: d.digest });
      return { scan, compression: kind, blobSize: size, positional: kind === 'none' };
    },
  };
  const a = await assembleImage({
    manifest: {
      what: 'the image manifest',
      layers: sel.manifest.layers.map((d) => ({ blob: d.digest, digest: d.digest, mediaType: d.mediaType, size: d.size, label: d.digest })),
    },
    config: { what: `image config ${sel.manifest.config.digest}`, read: () => readBlob(sel.manifest.config) },
    blobs,
    load,
    limits,
    concurrency: Math.max(1, Math.min(opts.concurrency ?? 2, 8)),
    storedAsPulled: true,
    warnings,
  });
  return {
    source: { kind: 'oci-layout', format: 'oci-layout', ref: label, fastPath: a.positional },
    repoTags: sel.refName ? [sel.refName] : [],
    config: a.config,
    configDigest: sel.manifest.config.digest,
    manifestDigest: sel.manifestDigest,
    ...(sel.manifest.annotations && { annotations: sel.manifest.annotations }),
    layers: a.layers,
    warnings: a.warnings,
  };
}

/** Reads a small file, refusing (E_LIMIT) one longer than `max` before reading it. */
async function readLimited(path: string, max: number, what: string): Promise<string> {
  const st = await stat(path);
  if (st.size > max) throw limitError('maxMetadataFileBytes', max, `${what} is ${st.size} bytes, over the limit for JSON documents`);
  return readFile(path, 'utf8');
}

/** Layer compression from the first bytes (codec.ts decides). */
async function sniffFile(path: string): Promise<BlobCompression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return blobCompressionOf(head.subarray(0, bytesRead));
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

