/**
 * The single-pass stream reader of the docker-archive source (stdin, compressed archives, the
 * daemon's export): `manifest.json` usually comes after the blobs, so every blob that looks like
 * a layer is scanned speculatively as it passes, keyed by its path, and joined with the manifest
 * at the end (archive-join.ts). Nothing is buffered but small JSON documents.
 */
import { ImgsizeError, isImgsizeError, throwIfAborted, withContext } from '../errors.js';
import { createLayerSink, scanOptionsFor, type LayerScanOptions } from '../layer-scan.js';
import { limitError, ResourceMeter, type Limits } from '../limits.js';
import type { BlobCompression, LayerScan, LoadOptions } from '../model.js';
import { TarStreamWalker } from '../tar/stream-walker.js';
import { tarLimitsOf, type ByteSink, type TarVisitor } from '../tar/types.js';
import { decompressIterable, decompressOptionsOf, isUnsupportedCompression, peek, sniff, sniffLayer, unsupportedCompression } from '../codec.js';
import type { BlobScan } from './assemble.js';
import { jsonTooBig, LinkTable, type ArchiveContents } from './archive-join.js';
import { progressReporter } from './archive-seekable.js';

/** Reads the whole archive stream once, scanning layer blobs as they pass. */
export async function readStream(
  source: AsyncIterable<Buffer>,
  options: LoadOptions,
  limits: Limits,
  totalBytes: number | undefined,
): Promise<{ contents: ArchiveContents; inputCompression: BlobCompression }> {
  const meter = new ResourceMeter(limits);
  const scanOpts = scanOptionsFor(options.scan, limits, meter, options.signal);
  // Progress counts the input's own bytes (compressed for a .gz/.zst file), against the file size
  // when the input is a file.
  let inputBytes = 0;
  const counted = (async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      inputBytes += chunk.length;
      yield chunk;
    }
  })();
  const { head, rest } = await peek(counted, 512);
  const kind = sniff(head);
  let input: AsyncIterable<Buffer> = rest;
  let inputCompression: BlobCompression = 'none';
  if (kind === 'gzip' || kind === 'zstd') {
    input = decompressIterable(rest, kind, decompressOptionsOf(limits));
    inputCompression = kind;
  } else if (isUnsupportedCompression(kind)) {
    throw unsupportedCompression(kind, 'the input');
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
  const report = progressReporter(options, 'read', totalBytes);
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
      report(inputBytes);
      await walker.write(r.value);
    }
    walkWarnings = (await walker.end()).warnings;
    report(inputBytes, undefined, true);
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
    // Every blob was scanned during the walk: the join only looks them up.
    concurrency: 1,
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
  return { contents, inputCompression };
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
      // Chunks are borrowed (fd-reader.ts): what is kept is copied.
      case 'layer':
        if (this.keepJson) this.head.push(Buffer.from(chunk));
        return this.feed(chunk);
      case 'json':
        this.head.push(Buffer.from(chunk));
        return;
      case 'skip':
        return;
      case 'sniff':
        this.head.push(Buffer.from(chunk));
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
    // Not read, but named if the manifest points at it as a layer.
    if (isUnsupportedCompression(kind)) this.store.scans.set(this.path, unsupportedCompression(kind, `layer ${this.path}`));
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

