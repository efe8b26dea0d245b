/**
 * The zstd side of the "recompress with zstd" what-if: the compression sampler hands it the same
 * bytes it measures with deflate; at the end of a layer, both codecs compress one systematic
 * subsample of them and the ratio zstd ÷ gzip scales the layer's gzip estimate.
 *
 * Level 3: `docker buildx --output compression=zstd` (BuildKit util/compression/zstd.go) writes
 * with klauspost/compress `zstd.SpeedDefault` unless a level is given, "roughly equivalent to
 * the default Zstandard mode (level 3)".
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
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
  let length = await zstdHelper().compressedLength(buf, level);
  if (length === undefined && helperRestarts < MAX_HELPER_RESTARTS && helper === undefined) {
    // The helper died (killed, or its pipe broke) rather than finding no zstd: one new helper
    // gets the request again before zstd counts as unavailable for the rest of the process.
    helperRestarts++;
    length = await zstdHelper().compressedLength(buf, level);
  }
  cliAvailable = length !== undefined;
  return length;
}

/** How many times a dead helper is replaced in one process. */
const MAX_HELPER_RESTARTS = 3;
let helperRestarts = 0;

/**
 * One long-lived `sh` that runs `zstd` on each request (a line `<bytes> <level>`, then the bytes)
 * and answers with the compressed length (`wc -c`), in request order. A `spawn` per layer forks
 * the whole analyzer process, which blocked the event loop 11–15 ms each time with a few hundred
 * MB of heap (and stalled it up to 35 ms with the copy-on-write faults that follow, BENCHMARKS.md
 * §6); the shell is forked once, early and small, and forks `zstd` itself. `head -c N` reads at
 * most N bytes from the pipe, so requests stay framed. It does not keep the process alive when
 * no request is pending, and a helper that dies answers undefined (zstd unavailable).
 */
class ZstdHelper {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #pending: Array<(n: number | undefined) => void> = [];
  #out = '';
  #dead = false;

  constructor() {
    this.#child = spawn('sh', ['-c', 'while read -r n l; do head -c "$n" | zstd -"$l" -q -c --no-progress | wc -c; done'], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.#child.on('error', () => this.#fail());
    this.#child.on('exit', () => this.#fail());
    this.#child.stdin.on('error', () => this.#fail());
    this.#child.stdout.setEncoding('latin1');
    this.#child.stdout.on('data', (text: string) => {
      this.#out += text;
      let nl: number;
      while ((nl = this.#out.indexOf('\n')) >= 0) {
        const n = Number(this.#out.slice(0, nl).trim());
        this.#out = this.#out.slice(nl + 1);
        // zstd's smallest frame is 9 bytes: 0 means it did not run (not installed, failed)
        this.#pending.shift()?.(Number.isFinite(n) && n > 0 ? n : undefined);
      }
      this.#idle();
    });
    this.#idle();
  }

  compressedLength(buf: Buffer, level: number): Promise<number | undefined> {
    if (this.#dead) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#pending.push(resolve);
      this.#child.ref();
      (this.#child.stdout as Readable & { ref?(): void }).ref?.();
      this.#child.stdin.write(`${buf.length} ${level}\n`);
      this.#child.stdin.write(buf);
    });
  }

  #idle(): void {
    if (this.#pending.length > 0) return;
    this.#child.unref();
    (this.#child.stdout as Readable & { unref?(): void }).unref?.();
    (this.#child.stdin as Writable & { unref?(): void }).unref?.();
  }

  #fail(): void {
    this.#dead = true;
    if (helper === this) helper = undefined;
    for (const resolve of this.#pending.splice(0)) resolve(undefined);
  }
}

let helper: ZstdHelper | undefined;
const zstdHelper = (): ZstdHelper => (helper ??= new ZstdHelper());

/** Node's in-process zstd compressor (22.15+), if any. */
const hasZlibZstd = (): boolean => typeof (zlib as unknown as { zstdCompress?: unknown }).zstdCompress === 'function';

/** Collects a systematic subsample of a layer's measured bytes (every k-th piece, k doubling when full). */
export interface ZstdRatioSampler {
  add(piece: Buffer): void;
  /** The kept bytes (undefined when nothing was kept). */
  sample(): Buffer | undefined;
  /**
   * zstd ÷ gzip size of the kept bytes, or undefined when nothing was kept or zstd is unavailable;
   * off the event loop (both compressors run on the thread pool or in a child process, in parallel).
   */
  ratioAsync(gzipLevel: number): Promise<number | undefined>;
}

/** Creates the per-layer subsample for the zstd/gzip ratio. */
export function createZstdRatioSampler(capBytes = RESERVOIR_BYTES): ZstdRatioSampler {
  // Start the helper now, while the heap is small (forking later costs more; see ZstdHelper).
  if (!hasZlibZstd() && cliAvailable !== false) zstdHelper();
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
    sample() {
      return bytes === 0 ? undefined : Buffer.concat(kept, bytes);
    },
    async ratioAsync(gzipLevel) {
      const all = this.sample();
      if (all === undefined) return undefined;
      const [z, g] = await Promise.all([zstdCompressedLengthAsync(all), deflateRaw(all, { level: gzipLevel }).then((b) => b.length)]);
      if (z === undefined) return undefined;
      return g > 0 ? z / g : undefined;
    },
  };
}
