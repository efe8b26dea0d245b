/**
 * The seekable fast path of the docker-archive reader (an uncompressed archive file): the outer
 * headers are walked with positional reads, and each referenced layer's headers are walked in
 * place without reading file payloads; compressed layer blobs are streamed from their region.
 */
import type { FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { ImgsizeError, throwIfAborted } from '../errors.js';
import { scanLayerRegion, scanLayerStream } from '../layer-scan.js';
import type { Limits } from '../limits.js';
import type { LoadOptions, Progress } from '../model.js';
import { walkTarRegion } from '../tar/positional-walker.js';
import { tarLimitsOf, type TarVisitor } from '../tar/types.js';
import { isUnsupportedCompression, sniffLayer, unsupportedCompression } from '../codec.js';
import { jsonTooBig, LinkTable, type ArchiveContents, type OuterEntry } from './archive-join.js';

const READ_CHUNK = 1 << 20;

/** Walks the outer archive in `fh` positionally; layers are scanned when the join asks. */
export async function readSeekable(fh: FileHandle, size: number, options: LoadOptions, limits: Limits): Promise<ArchiveContents> {
  const table = new LinkTable();
  const outer: TarVisitor = {
    entry(h) {
      table.add(h);
      return null;
    },
  };
  const readProgress = progressReporter(options, 'read', size);
  const walk = await walkTarRegion(fh, 0, size, outer, { signal: options.signal, limits: tarLimitsOf(limits), onProgress: (off) => readProgress(off) });
  readProgress(size, undefined, true);
  // Layers are walked one at a time, in manifest order (which need not be file order), but two are
  // in progress: while one layer's plugins finish off the main thread (the sampler's last
  // deflates, the zstd what-if), the next layer's walk goes on. Walks keep their order (`walkTurn`),
  // so the load's shared limits and the first error are the same as one layer at a time.
  // `scan` counts the layer bytes walked so far against the archive size (the layers are nearly
  // all of it); the final event of analyzeImage closes it at totalBytes.
  const scanProgress = progressReporter(options, 'scan', size);
  const walkTurn = turns();
  let scanned = 0;
  /** The layer walked last: progress names it, also in the heartbeat of an earlier layer's finish. */
  let current = '';
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
  return {
    resolve: (p) => table.resolve(p),
    occurrences: (p) => table.occurrences(p),
    warnings: walk.warnings,
    concurrency: 2,
    async readJson(path, what) {
      const e = table.files.get(path);
      if (!e) throw new ImgsizeError('E_LAYER_MISSING', `${what} (${path}) is not in the archive`);
      if (e.size > limits.maxMetadataFileBytes) throw jsonTooBig(what, e.size, limits);
      return readRegion(e);
    },
    async scanLayer(path, scanOpts, signal) {
      const e = table.files.get(path)!;
      const turnDone = await walkTurn();
      let pos = 0;
      const at = (off: number): void => {
        scanned += off - pos;
        pos = off;
        current = path;
        scanProgress(scanned, path);
      };
      /** The walk is over: its bytes count as walked, and the next layer's walk may start. */
      const walked = (): void => {
        scanned += e.size - pos;
        pos = e.size;
        turnDone();
      };
      // While the layer's plugins finish off the event loop (the sampler's last deflates, the zstd
      // what-if), no bytes move: a heartbeat at the same position keeps progress under 250 ms.
      const beat = options.onProgress ? setInterval(() => scanProgress(scanned, current, true), PROGRESS_EVERY_MS) : undefined;
      beat?.unref();
      try {
        at(0);
        throwIfAborted(signal);
        const head = await readRegion({ offset: e.offset, size: Math.min(512, e.size) });
        const kind = sniffLayer(head);
        let result;
        if (kind === 'tar' || e.size === 0) {
          result = { scan: await scanLayerRegion(fh, e.offset, e.size, scanOpts, at, walked), compression: 'none' as const, blobSize: e.size, positional: true };
        } else {
          if (isUnsupportedCompression(kind)) throw unsupportedCompression(kind, `layer ${path}`);
          if (kind !== 'gzip' && kind !== 'zstd') throw new ImgsizeError('E_NOT_AN_ARCHIVE', `layer ${path} is neither a tar nor gzip/zstd-compressed`);
          result = { scan: await scanLayerStream(regionChunks(fh, e.offset, e.size, at), kind, scanOpts), compression: kind, blobSize: e.size };
        }
        walked();
        scanProgress(scanned, current, true);
        return result;
      } finally {
        walked();
        clearInterval(beat);
      }
    },
  };
}

/**
 * A first-come first-served turn: `await take()` waits until every earlier taker has called the
 * `done` function it got (calling it again does nothing).
 */
function turns(): () => Promise<() => void> {
  let last: Promise<void> = Promise.resolve();
  return async () => {
    const before = last;
    let done!: () => void;
    last = new Promise<void>((resolve) => {
      done = resolve;
    });
    await before;
    return done;
  };
}

/**
 * The bytes [start, start + length) of an open file as chunks. (A `FileHandle.createReadStream`
 * per layer would add a close listener to the handle each time.)
 */
async function* regionChunks(fh: FileHandle, start: number, length: number, onRead: (done: number) => void): AsyncGenerator<Buffer> {
  let pos = start;
  const end = start + length;
  while (pos < end) {
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - pos));
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) throw new ImgsizeError('E_TRUNCATED', `unexpected end of file at offset ${pos}`);
    pos += bytesRead;
    onRead(pos - start);
    yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
  }
}

/** Least time between two events of one reporter (callers call it at least every ~20 ms of work). */
const PROGRESS_EVERY_MS = 100;

/**
 * A progress callback for one phase: passes an event on at most every PROGRESS_EVERY_MS, and
 * always the first one, one for a new layer, and a `force`d one (the end of the phase).
 */
export function progressReporter(
  options: LoadOptions,
  phase: Progress['phase'],
  totalBytes: number | undefined,
): (bytes: number, layer?: string, force?: boolean) => void {
  let last = -Infinity;
  let lastLayer: string | undefined;
  return (bytes, layer, force = false) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && layer === lastLayer && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    lastLayer = layer;
    const p: Progress = { phase, bytes, totalBytes, layer };
    options.onProgress(p);
  };
}
