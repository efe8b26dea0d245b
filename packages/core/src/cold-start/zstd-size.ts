/**
 * The zstd side of the "recompress with zstd" what-if: the compression sampler hands it the same
 * bytes it measures with deflate; at the end of a layer, both codecs compress one systematic
 * subsample of them and the ratio zstd ÷ gzip scales the layer's gzip estimate.
 *
 * Level 3: `docker buildx --output compression=zstd` (BuildKit util/compression/zstd.go) writes
 * with klauspost/compress `zstd.SpeedDefault` unless a level is given, "roughly equivalent to
 * the default Zstandard mode (level 3)".
 */
import { spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const deflateRaw = promisify(zlib.deflateRaw);

/** The zstd level BuildKit's default corresponds to. */
export const BUILDKIT_ZSTD_LEVEL = 3;
/** Bytes kept per layer for the zstd/gzip ratio. */
const RESERVOIR_BYTES = 4 * 1024 * 1024;

type ZstdCompressSync = (b: Buffer, o?: { params?: Record<number, number> }) => Buffer;

let cliAvailable: boolean | undefined;

/**
 * Length of `buf` compressed with zstd at `level`: node:zlib's compressor when this Node has one
 * (22.15+), else the `zstd` command; undefined when neither exists.
 */
export function zstdCompressedLength(buf: Buffer, level = BUILDKIT_ZSTD_LEVEL): number | undefined {
  const z = zlib as unknown as { zstdCompressSync?: ZstdCompressSync; constants: Record<string, number> };
  if (typeof z.zstdCompressSync === 'function') {
    const param = z.constants.ZSTD_c_compressionLevel;
    return z.zstdCompressSync(buf, param === undefined ? {} : { params: { [param]: level } }).length;
  }
  if (cliAvailable === false) return undefined;
  const r = spawnSync('zstd', [`-${level}`, '-q', '-c', '--no-progress'], { input: buf, maxBuffer: buf.length * 2 + 1024 * 1024 });
  cliAvailable = !r.error && r.status === 0;
  return cliAvailable ? r.stdout.length : undefined;
}

/**
 * zstdCompressedLength without blocking the event loop: node:zlib's asynchronous compressor (on
 * the thread pool) when this Node has one, else the `zstd` command as a child process.
 */
export async function zstdCompressedLengthAsync(buf: Buffer, level = BUILDKIT_ZSTD_LEVEL): Promise<number | undefined> {
  const z = zlib as unknown as { zstdCompress?: (b: Buffer, o: { params?: Record<number, number> }, cb: (e: Error | null, r: Buffer) => void) => void; constants: Record<string, number> };
  if (typeof z.zstdCompress === 'function') {
    const param = z.constants.ZSTD_c_compressionLevel;
    const compress = z.zstdCompress;
    return new Promise((resolve, reject) => compress(buf, param === undefined ? {} : { params: { [param]: level } }, (e, r) => (e ? reject(e) : resolve(r.length))));
  }
  if (cliAvailable === false) return undefined;
  const length = await new Promise<number | undefined>((resolve) => {
    const child = spawn('zstd', [`-${level}`, '-q', '-c', '--no-progress'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let n = 0;
    child.stdout.on('data', (c: Buffer) => (n += c.length));
    child.on('error', () => resolve(undefined));
    child.on('close', (code) => resolve(code === 0 ? n : undefined));
    child.stdin.on('error', () => undefined); // a zstd that exits early: its status says so
    child.stdin.end(buf);
  });
  cliAvailable = length !== undefined;
  return length;
}

/** Collects a systematic subsample of a layer's measured bytes (every k-th piece, k doubling when full). */
export interface ZstdRatioSampler {
  add(piece: Buffer): void;
  /** zstd ÷ gzip size of the kept bytes, or undefined when nothing was kept or zstd is unavailable. */
  ratio(gzipLevel: number): number | undefined;
  /** `ratio` off the event loop (both compressors run on the thread pool or in a child process, in parallel). */
  ratioAsync(gzipLevel: number): Promise<number | undefined>;
}

/** Creates the per-layer subsample for the zstd/gzip ratio. */
export function createZstdRatioSampler(capBytes = RESERVOIR_BYTES): ZstdRatioSampler {
  let kept: Buffer[] = [];
  let bytes = 0;
  let stride = 1;
  let seen = 0;
  return {
    add(piece) {
      if (piece.length === 0) return;
      if (seen++ % stride !== 0) return;
      kept.push(Buffer.from(piece));
      bytes += piece.length;
      while (bytes > capBytes && kept.length > 1) {
        kept = kept.filter((_, i) => i % 2 === 0);
        bytes = kept.reduce((n, b) => n + b.length, 0);
        stride *= 2;
      }
    },
    ratio(gzipLevel) {
      if (bytes === 0) return undefined;
      const all = Buffer.concat(kept, bytes);
      const z = zstdCompressedLength(all);
      if (z === undefined) return undefined;
      const g = zlib.deflateRawSync(all, { level: gzipLevel }).length;
      return g > 0 ? z / g : undefined;
    },
    async ratioAsync(gzipLevel) {
      if (bytes === 0) return undefined;
      const all = Buffer.concat(kept, bytes);
      const [z, g] = await Promise.all([zstdCompressedLengthAsync(all), deflateRaw(all, { level: gzipLevel }).then((b) => b.length)]);
      if (z === undefined) return undefined;
      return g > 0 ? z / g : undefined;
    },
  };
}
