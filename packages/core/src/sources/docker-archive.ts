/**
 * docker-archive source: `docker save` / `podman save` tarballs, legacy layout
 * (`manifest.json` + `<id>/layer.tar`) and Docker 25+ OCI layout (`index.json`, `blobs/sha256/…`,
 * plus `manifest.json`), plain or gzip/zstd-compressed as a whole, with plain/gzip/zstd layer blobs.
 *
 * Two readers, one result:
 * - seekable fast path (an uncompressed archive file): walk the outer headers positionally, read
 *   the manifest, then walk each referenced layer's headers positionally without reading payloads;
 * - single-pass stream (stdin, compressed archives): `manifest.json` usually comes after the blobs,
 *   so every blob that looks like a layer is scanned speculatively as it passes, keyed by its path,
 *   and joined with the manifest at the end. Nothing is buffered but small JSON documents.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ImgsizeError, isImgsizeError, throwIfAborted, withContext } from '../errors.js';
import { DockerSaveManifest, ImageIndex, type Descriptor } from '../image-schemas.js';
import { parseImageConfig, parseJsonDocument } from '../image-config.js';
import { createLayerSink, scanLayerRegion, scanLayerStream, scanOptionsFor, sniffLayer, type LayerScanOptions } from '../layer-scan.js';
import { checkLayerCount, limitError, ResourceMeter, resolveLimits, type Limits } from '../limits.js';
import type { BlobCompression, ImageSource, LayerScan, LoadedImage, LoadedLayer, LoadOptions, Progress, SourceFormat } from '../model.js';
import { cleanPath, parentPath } from '../paths.js';
import { compressionOfMediaType, selectFromIndex } from '../oci-index.js';
import { scanVariant } from '../layer-cache.js';
import { TarStreamWalker } from '../tar/stream-walker.js';
import { walkTarRegion } from '../tar/positional-walker.js';
import { tarLimitsOf, type ByteSink, type TarEntryHeader, type TarVisitor } from '../tar/types.js';
import { decompressIterable, decompressOptionsOf, peek, sniff } from '../codec.js';

/** What the user handed us: a file path, `-` for stdin, or a byte stream. */
export type ArchiveInput = string | Readable | AsyncIterable<Buffer>;

const READ_CHUNK = 1 << 20;
const MAX_LINK_HOPS = 16;

/** Opens a docker-save archive (path, `-` for stdin, or a stream) as an ImageSource. */
export function openDockerArchive(input: ArchiveInput, opts: { name?: string } = {}): ImageSource {
  const description = opts.name ?? (typeof input === 'string' ? (input === '-' ? 'stdin' : input) : 'stream');
  return {
    kind: 'docker-archive',
    description: `docker archive ${description}`,
    load: (options: LoadOptions = {}) => loadArchive(input, description, options),
  };
}

interface BlobScan {
  scan: LayerScan;
  compression: BlobCompression;
  blobSize: number;
}

/** The archive's contents as the join step needs them; implemented by both readers. */
interface ArchiveContents {
  /** Clean path → resolved clean path of a regular file, following archive symlinks/hardlinks. */
  resolve(path: string): string | undefined;
  /** How many entries of the archive have this clean path (the last one counts, as in extraction). */
  occurrences(path: string): number;
  /** Warnings of the outer archive walk (lone zero blocks, data after the end marker, ...). */
  warnings: string[];
  readJson(path: string, what: string): Promise<Buffer>;
  /** Scans a layer blob; its first bytes decide its compression (media types lie). */
  scanLayer(path: string): Promise<BlobScan>;
}

interface OuterEntry {
  offset: number;
  size: number;
}

/**
 * The outer archive's files and links by clean path. A later entry with the same path replaces
 * the earlier one whatever their types, as extracting the archive (what `docker load` does) would.
 */
class LinkTable {
  readonly files = new Map<string, OuterEntry>();
  readonly links = new Map<string, { target: string; hard: boolean }>();
  readonly counts = new Map<string, number>();

  /** Records an entry; returns its clean path. */
  add(h: TarEntryHeader): string {
    const p = cleanPath(h.name);
    this.counts.set(p, (this.counts.get(p) ?? 0) + 1);
    this.files.delete(p);
    this.links.delete(p);
    if (h.type === 'file') this.files.set(p, { offset: h.offset, size: h.size });
    else if ((h.type === 'symlink' || h.type === 'hardlink') && h.linkname !== undefined) {
      this.links.set(p, { target: h.linkname, hard: h.type === 'hardlink' });
    }
    return p;
  }

  occurrences(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  resolve(path: string): string | undefined {
    let p = cleanPath(path);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      if (this.files.has(p)) return p;
      const l = this.links.get(p);
      if (!l) return undefined;
      p = l.hard || l.target.startsWith('/') ? cleanPath(l.target) : cleanPath(`${parentPath(p)}/${l.target}`);
    }
    return undefined;
  }
}

/** What both readers need for one load: options, resolved limits, and the load's shared meter. */
interface LoadContext {
  options: LoadOptions;
  limits: Limits;
  scanOpts: LayerScanOptions;
}

async function loadArchive(input: ArchiveInput, description: string, options: LoadOptions): Promise<LoadedImage> {
  try {
    const limits = resolveLimits(options.limits);
    const ctx: LoadContext = { options, limits, scanOpts: scanOptionsFor(options.scan, limits, new ResourceMeter(limits), options.signal) };
    if (typeof input === 'string' && input !== '-') return await loadFile(input, description, ctx);
    const stream = typeof input === 'string' ? process.stdin : input;
    return await loadFromStream(inputErrors(stream as AsyncIterable<Buffer>), description, ctx, undefined);
  } catch (e) {
    throw withContext(e, `reading ${description}`);
  }
}

async function loadFile(path: string, description: string, ctx: LoadContext): Promise<LoadedImage> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new ImgsizeError('E_IO', `cannot open ${path}: ${why}`, {
      cause: e,
      hint: code === 'EISDIR' ? 'for an OCI layout directory use oci:<dir>' : undefined,
    });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      // A FIFO or character device: not seekable, read it as a stream.
      return await loadFromStream(inputErrors(fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false })), description, ctx, undefined);
    }
    const head = Buffer.alloc(Math.min(512, st.size));
    await fh.read(head, 0, head.length, 0);
    const kind = sniff(head);
    if (kind === 'tar') return await loadSeekable(fh, st.size, description, ctx);
    const stream = fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false });
    return await loadFromStream(inputErrors(stream), description, ctx, st.size);
  } finally {
    await fh.close();
  }
}

/**
 * The bytes [start, start + length) of an open file as chunks. (A `FileHandle.createReadStream`
 * per layer would add a close listener to the handle each time.)
 */
async function* regionChunks(fh: FileHandle, start: number, length: number): AsyncGenerator<Buffer> {
  let pos = start;
  const end = start + length;
  while (pos < end) {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - pos));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) throw new ImgsizeError('E_TRUNCATED', `unexpected end of file at offset ${pos}`);
    pos += bytesRead;
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

/**
 * Passes the input through, turning its failures into E_IO ("the input could not be read"): a
 * stream that breaks (a dying `docker save`, a reset socket) is not a bug in imgsize, which is
 * what any other error reaching the top would be reported as. ImgsizeErrors and aborts keep theirs.
 */
async function* inputErrors(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await it.next();
      } catch (e) {
        done = true;
        throw withContext(e, 'the input stream failed', 'E_IO');
      }
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await it.return?.();
  }
}

/** Reports progress at most every 64 MiB. */
function progressReporter(options: LoadOptions, totalBytes: number | undefined): (bytes: number, layer?: string) => void {
  let next = 0;
  return (bytes, layer) => {
    if (!options.onProgress || bytes < next) return;
    next = bytes + (64 << 20);
    const p: Progress = { phase: 'read', bytes, totalBytes, layer };
    options.onProgress(p);
  };
}

// ---------------------------------------------------------------------------------------------
// Seekable fast path

async function loadSeekable(fh: FileHandle, size: number, description: string, ctx: LoadContext): Promise<LoadedImage> {
  const { options, limits, scanOpts } = ctx;
  const table = new LinkTable();
  const outer: TarVisitor = {
    entry(h) {
      table.add(h);
      return null;
    },
  };
  const walk = await walkTarRegion(fh, 0, size, outer, { signal: options.signal, limits: tarLimitsOf(limits) });
  const report = progressReporter(options, size);
  const readRegion = async (e: OuterEntry): Promise<Buffer> => {
    const buf = Buffer.alloc(e.size);
    let done = 0;
    while (done < e.size) {
      const { bytesRead } = await fh.read(buf, done, e.size - done, e.offset + done);
      if (bytesRead === 0) throw new ImgsizeError('E_TRUNCATED', 'unexpected end of file');
      done += bytesRead;
    }
    return buf;
  };
  const contents: ArchiveContents = {
    resolve: (p) => table.resolve(p),
    occurrences: (p) => table.occurrences(p),
    warnings: walk.warnings,
    async readJson(path, what) {
      const e = table.files.get(path);
      if (!e) throw new ImgsizeError('E_LAYER_MISSING', `${what} (${path}) is not in the archive`);
      if (e.size > limits.maxMetadataFileBytes) throw jsonTooBig(what, e.size, limits);
      return readRegion(e);
    },
    async scanLayer(path) {
      const e = table.files.get(path)!;
      report(e.offset, path);
      throwIfAborted(options.signal);
      const head = await readRegion({ offset: e.offset, size: Math.min(512, e.size) });
      const kind = sniffLayer(head);
      if (kind === 'tar' || e.size === 0) {
        return { scan: await scanLayerRegion(fh, e.offset, e.size, scanOpts), compression: 'none', blobSize: e.size };
      }
      if (kind !== 'gzip' && kind !== 'zstd') throw new ImgsizeError('E_NOT_AN_ARCHIVE', `layer ${path} is neither a tar nor gzip/zstd-compressed`);
      if (e.size === 0) throw new ImgsizeError('E_TRUNCATED', `layer ${path} is empty`);
      const stream = regionChunks(fh, e.offset, e.size);
      return { scan: await scanLayerStream(stream, kind, scanOpts), compression: kind, blobSize: e.size };
    },
  };
  const img = await assemble(contents, description, ctx);
  img.source.fastPath = true;
  return img;
}

function jsonTooBig(what: string, size: number, limits: Limits): ImgsizeError {
  return limitError('maxMetadataFileBytes', limits, `${what} is ${size} bytes, over the limit for JSON documents`);
}

// ---------------------------------------------------------------------------------------------
// Single-pass stream

async function loadFromStream(
  source: AsyncIterable<Buffer>,
  description: string,
  ctx: LoadContext,
  totalBytes: number | undefined,
): Promise<LoadedImage> {
  const { options, limits, scanOpts } = ctx;
  const meter = scanOpts.meter!;
  const { head, rest } = await peek(source, 512);
  const kind = sniff(head);
  let input: AsyncIterable<Buffer> = rest;
  let inputCompression: BlobCompression = 'none';
  if (kind === 'gzip' || kind === 'zstd') {
    input = decompressIterable(rest, kind, decompressOptionsOf(limits));
    inputCompression = kind;
  } else if (kind !== 'tar') {
    throw new ImgsizeError('E_NOT_AN_ARCHIVE', head.length === 0 ? 'input is empty' : 'input is not a tar archive (nor a gzip/zstd-compressed one)', {
      hint: 'expected the output of `docker save`',
    });
  }
  const table = new LinkTable();
  const blobs: BlobStore = { json: new Map(), scans: new Map(), notKept: new Map(), meter, limits };
  let current: BlobHandler | undefined;
  const outer: TarVisitor = {
    entry(h) {
      const p = table.add(h);
      // A later entry replaces an earlier one with the same path (as extraction would).
      const old = blobs.json.get(p);
      if (old) meter.releaseMetadata(old.length);
      blobs.json.delete(p);
      blobs.scans.delete(p);
      blobs.notKept.delete(p);
      if (h.type !== 'file') return null;
      if (h.size === 0) {
        blobs.json.set(p, Buffer.alloc(0));
        return null;
      }
      current = new BlobHandler(p, h.size, blobs, scanOpts);
      return [[0, h.size]];
    },
    data(_offset, chunk) {
      return current!.write(chunk);
    },
    async entryEnd() {
      const c = current;
      current = undefined;
      if (c) await c.end();
    },
  };
  const walker = new TarStreamWalker(outer, { signal: options.signal, limits: tarLimitsOf(limits) });
  const report = progressReporter(options, inputCompression === 'none' ? totalBytes : undefined);
  let read = 0;
  let walkWarnings: string[];
  const it = input[Symbol.asyncIterator]();
  let inputFailed = false;
  const next = (): Promise<IteratorResult<Buffer>> =>
    it.next().catch((e: unknown) => {
      inputFailed = true;
      throw e;
    });
  try {
    for (let r = await next(); !r.done; r = await next()) {
      read += r.value.length;
      report(read);
      await walker.write(r.value);
    }
    walkWarnings = (await walker.end()).warnings;
  } catch (e) {
    walker.destroy(e instanceof Error ? e : undefined);
    current?.destroy(e);
    // A compressed archive: if the tar reader failed first, corruption of the compressed bytes
    // further on is the real cause (and what a differently chunked read would have seen first).
    if (inputCompression !== 'none' && !inputFailed && !isImgsizeError(e, 'E_ABORTED')) {
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) throwIfAborted(options.signal);
      } catch (e2) {
        if (isDecompressError(e2)) throw e2;
      }
    }
    await it.return?.();
    throw e;
  }
  const contents: ArchiveContents = {
    resolve: (p) => table.resolve(p),
    occurrences: (p) => table.occurrences(p),
    warnings: walkWarnings,
    async readJson(path, what) {
      const e = table.files.get(path);
      if (!e) throw new ImgsizeError('E_LAYER_MISSING', `${what} (${path}) is not in the archive`);
      // Same checks, in the same order, as the fast path.
      if (e.size > limits.maxMetadataFileBytes) throw jsonTooBig(what, e.size, limits);
      const b = blobs.json.get(path);
      if (b !== undefined) return b;
      const why = blobs.notKept.get(path);
      if (why) throw why.wrap(what);
      throw new ImgsizeError('E_BAD_MANIFEST', `${what} (${path}) is not JSON`);
    },
    async scanLayer(path) {
      const s = blobs.scans.get(path);
      if (s instanceof ImgsizeError) throw s;
      if (!s) throw new ImgsizeError('E_NOT_AN_ARCHIVE', `layer ${path} is neither a tar nor gzip/zstd-compressed`);
      return s;
    },
  };
  const img = await assemble(contents, description, ctx);
  img.source.inputCompression = inputCompression;
  img.source.fastPath = false;
  return img;
}

/** True for the errors a decompressor reports about its input. */
function isDecompressError(e: unknown): boolean {
  return isImgsizeError(e) && (e.code === 'E_DECOMPRESS' || e.code === 'E_TRUNCATED' || e.code === 'E_LIMIT');
}

/**
 * Handles one blob of the outer archive in the single-pass reader: sniffs its first bytes, then
 * buffers it (small JSON) or scans it as a layer (tar, gzip, zstd) or skips it.
 */
interface BlobStore {
  /** JSON documents kept whole, by clean path. */
  json: Map<string, Buffer>;
  /** Layer scans (or why the blob could not be scanned), by clean path. */
  scans: Map<string, BlobScan | ImgsizeError>;
  /** Why a JSON-looking blob was not kept (a limit). */
  notKept: Map<string, ImgsizeError>;
  meter: ResourceMeter;
  limits: Limits;
}

class BlobHandler {
  private head: Buffer[] = [];
  private headLen = 0;
  private mode: 'sniff' | 'json' | 'layer' | 'skip' = 'sniff';
  /** Also keep the bytes as a JSON document (a blob can look like both: see decide()). */
  private keepJson = false;
  private sink: ByteSink<LayerScan> | undefined;
  private compression: BlobCompression = 'none';
  private failed: ImgsizeError | undefined;

  constructor(
    private readonly path: string,
    private readonly size: number,
    private readonly store: BlobStore,
    private readonly scanOpts: LayerScanOptions,
  ) {}

  write(chunk: Buffer): void | Promise<void> {
    switch (this.mode) {
      case 'layer':
        if (this.keepJson) this.head.push(chunk);
        return this.feed(chunk);
      case 'json':
        this.head.push(chunk);
        return;
      case 'skip':
        return;
      case 'sniff':
        this.head.push(chunk);
        this.headLen += chunk.length;
        if (this.headLen >= Math.min(512, this.size)) return this.decide();
    }
  }

  private feed(chunk: Buffer): void | Promise<void> {
    if (this.failed) return;
    try {
      const r = this.sink!.write(chunk);
      if (r) return r.catch((e: unknown) => this.fail(e));
    } catch (e) {
      this.fail(e);
    }
  }

  /** A corrupt blob only matters if the manifest references it: remember the error for later. */
  private fail(e: unknown): void {
    this.failed = withContext(e, `layer ${this.path}`, 'E_BAD_TAR');
    this.sink?.destroy(e instanceof Error ? e : undefined);
  }

  /**
   * Decides from the first bytes whether the blob may be a JSON document (kept whole, within the
   * limits) and whether it may be a layer (scanned). Both can hold: a layer whose first entry is
   * named `[x` or `{x` starts like JSON, and a JSON document may have "ustar" at byte 257. The
   * fast path reads whatever the manifest points at, so the stream reader keeps both readings.
   */
  private decide(): void | Promise<void> {
    const buf = Buffer.concat(this.head);
    this.head = [buf];
    const kind = sniffLayer(buf);
    if (mayBeJson(buf)) {
      const { meter, limits } = this.store;
      if (this.size <= limits.maxMetadataFileBytes && meter.reserveMetadata(this.size)) {
        this.keepJson = true;
      } else if (this.size <= limits.maxMetadataFileBytes) {
        this.store.notKept.set(
          this.path,
          limitError('maxMetadataBytesTotal', limits, `${this.path} not kept: the archive's JSON documents and metadata files pass ${limits.maxMetadataBytesTotal} bytes together`),
        );
      }
    }
    if (kind === 'tar' || kind === 'gzip' || kind === 'zstd') {
      this.mode = 'layer';
      this.compression = kind === 'tar' ? 'none' : kind;
      // the same tar size hint the fast path's region gives (the sampler's tail budget follows it)
      this.sink = createLayerSink(this.compression, this.compression === 'none' ? { ...this.scanOpts, tarBytesHint: this.size } : this.scanOpts);
      if (!this.keepJson) this.head = [];
      return this.feed(buf);
    }
    this.mode = this.keepJson ? 'json' : 'skip';
    if (!this.keepJson) this.head = [];
  }

  async end(): Promise<void> {
    if (this.mode === 'sniff') {
      const r = this.decide();
      if (r) await r;
    }
    if (this.keepJson) {
      this.store.json.set(this.path, Buffer.concat(this.head));
      this.head = [];
    }
    if (this.mode === 'layer') {
      if (!this.failed) {
        try {
          const scan = await this.sink!.end();
          this.store.scans.set(this.path, { scan, compression: this.compression, blobSize: this.size });
        } catch (e) {
          this.fail(e);
        }
      }
      if (this.failed) this.store.scans.set(this.path, this.failed);
    }
  }

  destroy(e: unknown): void {
    this.sink?.destroy(e instanceof Error ? e : undefined);
  }
}

/**
 * True when the bytes may start a JSON array or object (manifest.json, index.json, manifests,
 * configs): after an optional BOM and whitespace comes `{` or `[`, or only whitespace so far.
 * Documents that start otherwise cannot be any of those (E_BAD_MANIFEST either way).
 */
function mayBeJson(buf: Buffer): boolean {
  let i = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  for (; i < buf.length; i++) {
    const b = buf[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b || b === 0x5b;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Join: manifest → config → layers

async function assemble(contents: ArchiveContents, description: string, ctx: LoadContext): Promise<LoadedImage> {
  const { options, limits } = ctx;
  const manifestPath = contents.resolve('manifest.json');
  const isOci = contents.resolve('oci-layout') !== undefined || contents.resolve('index.json') !== undefined;
  const format: SourceFormat = isOci ? 'docker-archive-oci' : 'docker-archive-legacy';
  const warnings: string[] = contents.warnings.map((w) => `archive: ${w}`);
  const noted = new Set<string>();
  /** Warns about duplicate entries of `path` (and of the link `via` that led to it), once each. */
  const noteDuplicate = (path: string, what: string, via?: string): void => {
    for (const p of via === undefined ? [path] : [cleanPath(via), path]) {
      const n = contents.occurrences(p);
      if (n > 1 && !noted.has(p)) {
        noted.add(p);
        warnings.push(`archive: ${n} entries are named ${JSON.stringify(p)} (${what}); the last one is used, as extracting the archive would`);
      }
    }
  };
  if (manifestPath === undefined) {
    if (contents.resolve('index.json') !== undefined) return assembleFromIndex(contents, description, ctx, warnings, noteDuplicate);
    throw new ImgsizeError('E_NO_MANIFEST', 'the archive has no manifest.json (nor an OCI index.json)', {
      hint: 'is this a `docker save` archive? a single layer tar is not an image',
    });
  }
  noteDuplicate(manifestPath, 'manifest.json', 'manifest.json');
  const manifest = parseJsonDocument(DockerSaveManifest, await contents.readJson(manifestPath, 'manifest.json'), 'manifest.json', limits.maxMetadataFileBytes);
  const entry = chooseImage(manifest, options.image);
  checkLayerCount(entry.Layers.length, limits, 'manifest.json');
  const configPath = contents.resolve(entry.Config);
  if (configPath === undefined) throw new ImgsizeError('E_LAYER_MISSING', `manifest.json names config ${JSON.stringify(entry.Config)}, which is not in the archive`);
  noteDuplicate(configPath, 'the image config', entry.Config);
  const config = parseImageConfig(await contents.readJson(configPath, 'image config'), `image config ${JSON.stringify(entry.Config)}`, limits.maxMetadataFileBytes);
  checkLayerCount(config.diffIds.length, limits, 'the image config');
  if (config.diffIds.length !== entry.Layers.length) {
    throw new ImgsizeError('E_BAD_MANIFEST', `manifest.json lists ${entry.Layers.length} layers but the config has ${config.diffIds.length} diff_ids`);
  }
  const layers: LoadedLayer[] = [];
  const seen = new Map<string, BlobScan>();
  for (let i = 0; i < entry.Layers.length; i++) {
    throwIfAborted(options.signal);
    const name = entry.Layers[i]!;
    const p = contents.resolve(name);
    if (p === undefined) throw new ImgsizeError('E_LAYER_MISSING', `manifest.json names layer ${JSON.stringify(name)}, which is not in the archive`);
    let b = seen.get(p);
    if (!b) {
      b = await cachedScan(options, config.diffIds[i]!, async () => {
        try {
          return await contents.scanLayer(p);
        } catch (e) {
          throw withContext(e, `layer ${i} (${JSON.stringify(name)})`);
        }
      });
      seen.set(p, b);
      noteDuplicate(p, `layer ${i}`, name);
    }
    const m = /^blobs\/([a-z0-9]+)\/([a-f0-9]{32,})$/.exec(p);
    layers.push({
      index: i,
      diffId: config.diffIds[i]!,
      digest: m ? `${m[1]}:${m[2]}` : undefined,
      mediaType: b.compression === 'none' ? 'application/vnd.oci.image.layer.v1.tar' : `application/vnd.oci.image.layer.v1.tar+${b.compression}`,
      compression: b.compression,
      compressedSize: b.compression === 'none' ? undefined : b.blobSize,
      scan: b.scan,
    });
  }
  const cm = /^blobs\/([a-z0-9]+)\/([a-f0-9]{32,})$/.exec(configPath) ?? /^([a-f0-9]{64})\.json$/.exec(configPath);
  return {
    source: { kind: 'docker-archive', format, ref: description },
    repoTags: entry.RepoTags ?? [],
    config,
    configDigest: cm ? (cm.length === 3 ? `${cm[1]}:${cm[2]}` : `sha256:${cm[1]}`) : undefined,
    layers,
    warnings,
  };
}

/**
 * A layer's scan through the caller's layer cache (keyed by diffID), so that e.g. both sides of a
 * diff scan a shared base layer once. The stream reader has scanned every blob already; the cache
 * then only saves the next reader the work.
 */
async function cachedScan(options: LoadOptions, diffId: string, scan: () => Promise<BlobScan>): Promise<BlobScan> {
  const cache = options.layerCache;
  if (!cache) return scan();
  const variant = scanVariant(options.scan);
  const hit = await cache.get(diffId, variant);
  if (hit && (hit.compression ?? 'none') === 'none') return { scan: hit.scan, compression: 'none', blobSize: hit.scan.tarBytes };
  const b = await scan();
  if (b.compression === 'none') await cache.put({ key: diffId, diffId, compression: 'none', scan: b.scan }, variant);
  return b;
}

function chooseImage(manifest: DockerSaveManifest, want: string | undefined): DockerSaveManifest[number] {
  const label = (m: DockerSaveManifest[number]): string => (m.RepoTags && m.RepoTags.length > 0 ? m.RepoTags.join(', ') : m.Config);
  if (want === undefined) {
    if (manifest.length === 1) return manifest[0]!;
    throw new ImgsizeError('E_IMAGE_AMBIGUOUS', `the archive holds ${manifest.length} images`, {
      hint: `choose one with --image: ${manifest.map(label).join('; ')}`,
    });
  }
  const withLatest = want.includes(':') ? want : `${want}:latest`;
  const hits = manifest.filter(
    (m) =>
      (m.RepoTags ?? []).some((t) => t === want || t === withLatest || t.endsWith(`/${withLatest}`)) ||
      m.Config.replace(/^blobs\/sha256\//, '').replace(/\.json$/, '').startsWith(want.replace(/^sha256:/, '')),
  );
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) {
    throw new ImgsizeError('E_IMAGE_NOT_FOUND', `the archive has no image "${want}"`, { hint: `images here: ${manifest.map(label).join('; ')}` });
  }
  throw new ImgsizeError('E_IMAGE_AMBIGUOUS', `"${want}" matches ${hits.length} images`, { hint: hits.map(label).join('; ') });
}

/** An OCI image layout tar without manifest.json (`skopeo copy … oci-archive:`). */
async function assembleFromIndex(
  contents: ArchiveContents,
  description: string,
  ctx: LoadContext,
  warnings: string[],
  noteDuplicate: (path: string, what: string, via?: string) => void,
): Promise<LoadedImage> {
  const { options, limits } = ctx;
  const blobPath = (d: Descriptor): string => {
    const [alg, hex] = d.digest.split(':');
    return `blobs/${alg}/${hex}`;
  };
  const readBlob = async (d: Descriptor): Promise<Buffer> => {
    const p = contents.resolve(blobPath(d));
    if (p === undefined) throw new ImgsizeError('E_LAYER_MISSING', `blob ${d.digest} is not in the archive`);
    return contents.readJson(p, `blob ${d.digest}`);
  };
  const indexPath = contents.resolve('index.json')!;
  noteDuplicate(indexPath, 'index.json', 'index.json');
  const index = parseJsonDocument(ImageIndex, await contents.readJson(indexPath, 'index.json'), 'index.json', limits.maxMetadataFileBytes);
  const sel = await selectFromIndex(index, readBlob, { image: options.image, what: 'index.json', maxJsonBytes: limits.maxMetadataFileBytes });
  checkLayerCount(sel.manifest.layers.length, limits, 'the image manifest');
  const config = parseImageConfig(await readBlob(sel.manifest.config), `image config ${sel.manifest.config.digest}`, limits.maxMetadataFileBytes);
  checkLayerCount(config.diffIds.length, limits, 'the image config');
  if (config.diffIds.length !== sel.manifest.layers.length) {
    throw new ImgsizeError('E_BAD_MANIFEST', `manifest lists ${sel.manifest.layers.length} layers but the config has ${config.diffIds.length} diff_ids`);
  }
  const layers: LoadedLayer[] = [];
  const seen = new Map<string, BlobScan>();
  for (const [i, d] of sel.manifest.layers.entries()) {
    throwIfAborted(options.signal);
    const p = contents.resolve(blobPath(d));
    if (p === undefined) throw new ImgsizeError('E_LAYER_MISSING', `layer ${i} blob ${d.digest} is not in the archive`);
    let b = seen.get(p);
    if (!b) {
      b = await contents.scanLayer(p).catch((e: unknown) => {
        throw withContext(e, `layer ${i} (${d.digest})`);
      });
      seen.set(p, b);
      noteDuplicate(p, `layer ${i}`);
    }
    if (d.size !== b.blobSize) warnings.push(`layer ${i} (${d.digest}): the manifest says ${d.size} bytes but the blob has ${b.blobSize}`);
    const declared = compressionOfMediaType(d.mediaType);
    if (declared !== 'auto' && declared !== b.compression) {
      warnings.push(`layer ${i} (${d.digest}): media type ${JSON.stringify(d.mediaType ?? '')} says ${declared} but the blob is ${b.compression === 'none' ? 'an uncompressed tar' : b.compression}`);
    }
    layers.push({
      index: i,
      diffId: config.diffIds[i]!,
      digest: d.digest,
      mediaType: d.mediaType,
      compression: b.compression,
      compressedSize: b.compression === 'none' ? undefined : b.blobSize,
      scan: b.scan,
    });
  }
  return {
    source: { kind: 'docker-archive', format: 'docker-archive-oci', ref: description },
    repoTags: sel.refName ? [sel.refName] : [],
    config,
    configDigest: sel.manifest.config.digest,
    manifestDigest: sel.manifestDigest,
    layers,
    warnings,
  };
}
