/**
 * Format sniffing and streaming decompression (gzip, zstd) with decompression-bomb limits.
 *
 * gzip uses node:zlib. zstd uses node:zlib's `createZstdDecompress` when the running Node has it
 * (22.15+/23.8+), else fzstd's streaming `Decompress` (pure JS; its output for one input slice is
 * produced synchronously, so input is fed in pieces cut by ZstdPacer, each of which can produce at
 * most a few MiB, and limits are checked per block).
 */

import { once } from 'node:events';
import type { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { Decompress } from 'fzstd';
import { Header } from 'tar';
import { ImgsizeError } from './errors.js';
import { DEFAULT_LIMITS, limitError, type Limits } from './limits.js';
import type { ByteSink } from './tar/types.js';

export type SniffResult = 'gzip' | 'zstd' | 'tar' | 'json' | UnsupportedCompression | 'unknown';
/** Compressions recognised by their magic but not read (no decoder in Node or the dependencies). */
export type UnsupportedCompression = 'xz' | 'bzip2' | 'lz4';
export type CompressionKind = 'gzip' | 'zstd';

export interface DecompressOptions {
  /** Fail (E_LIMIT) once the output exceeds this many bytes (default `Limits.maxDecompressedBytes`). */
  maxOutputBytes?: number | undefined;
  /** Fail (E_LIMIT) when output/input exceeds this ratio, once output > ratioCheckMinBytes (default `Limits.maxCompressionRatio`). */
  maxRatio?: number | undefined;
  /** Output size from which maxRatio applies (default `Limits.ratioCheckMinBytes`). */
  ratioCheckMinBytes?: number | undefined;
}

/** The decompression options of a resolved `Limits`. */
export function decompressOptionsOf(l: Pick<Limits, 'maxDecompressedBytes' | 'maxCompressionRatio' | 'ratioCheckMinBytes'>): DecompressOptions {
  return { maxOutputBytes: l.maxDecompressedBytes, maxRatio: l.maxCompressionRatio, ratioCheckMinBytes: l.ratioCheckMinBytes };
}

const ZSTD_SLICE = 64 * 1024;
const GZIP_OUTPUT_CHUNK = 128 * 1024;

// ---------------------------------------------------------------------------------------------
// Sniffing

/**
 * True for the magic numbers a zstd stream may start with: a zstd frame (0xFD2FB528) or a
 * skippable frame (0x184D2A50..0x184D2A5F, RFC 8878 section 3.1.2), which the decoders skip.
 */
function isZstdMagic(m: number): boolean {
  return m === 0xfd2fb528 || (m & 0xfffffff0) >>> 0 === 0x184d2a50;
}

/**
 * Guesses what the first bytes of an input are: gzip (1f 8b), zstd (28 b5 2f fd, or a skippable
 * frame: 5? 2a 4d 18), tar ("ustar"
 * at 257, or a 512-byte old v7 header with a valid checksum), json (first non-whitespace byte is
 * `{`), else unknown. Give it at least 512 bytes when available.
 */
export function sniff(head: Buffer): SniffResult {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && isZstdMagic(head.readUInt32LE(0))) return 'zstd';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  // xz: FD '7zXZ' 00; bzip2: 'BZh' + block size digit; lz4 frame: 04 22 4D 18.
  if (head.length >= 6 && head[0] === 0xfd && head.toString('latin1', 1, 5) === '7zXZ' && head[5] === 0) return 'xz';
  if (head.length >= 4 && head.toString('latin1', 0, 3) === 'BZh' && head[3]! >= 0x31 && head[3]! <= 0x39) return 'bzip2';
  if (head.length >= 4 && head.readUInt32LE(0) === 0x184d2204) return 'lz4';
  if (head.length >= 512 && isV7Header(head)) return 'tar';
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3; // UTF-8 BOM
  for (; i < head.length; i++) {
    const b = head[i];
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b ? 'json' : 'unknown';
  }
  return 'unknown';
}

/**
 * Like `sniff`, but also takes a block of zeros for a tar: an empty layer is just the 1024-byte
 * end-of-archive marker, which has no "ustar" magic.
 */
export function sniffLayer(head: Buffer): SniffResult {
  const kind = sniff(head);
  if (kind === 'unknown' && head.length >= 512 && head.subarray(0, 512).every((b) => b === 0)) return 'tar';
  return kind;
}

/** A layer blob's compression from its first bytes (at least 4 when there are): gzip, zstd, else none. */
export function blobCompressionOf(head: Buffer): 'none' | CompressionKind {
  const kind = sniff(head);
  return kind === 'gzip' || kind === 'zstd' ? kind : 'none';
}

/** E_UNSUPPORTED for input (or a layer) compressed with a codec imgsize does not read, with the way out. */
export function unsupportedCompression(kind: UnsupportedCompression, what: string): ImgsizeError {
  const tool = kind === 'xz' ? 'xz -dc' : kind === 'bzip2' ? 'bzip2 -dc' : 'lz4 -dc';
  return new ImgsizeError('E_UNSUPPORTED', `${what} is ${kind}-compressed, which imgsize does not read (gzip, zstd or plain tar only)`, {
    hint: `decompress it first, e.g. \`${tool} FILE | imgsize analyze -\``,
  });
}

/** True for the compressions `sniff` recognises but imgsize does not read. */
export function isUnsupportedCompression(kind: SniffResult): kind is UnsupportedCompression {
  return kind === 'xz' || kind === 'bzip2' || kind === 'lz4';
}

function isV7Header(head: Buffer): boolean {
  try {
    const h = new Header(head, 0);
    return h.cksumValid && !h.nullBlock;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Limits and errors

class OutputLimiter {
  inBytes = 0;
  outBytes = 0;
  readonly #kind: CompressionKind;
  readonly #maxOut: number;
  readonly #maxRatio: number;
  readonly #ratioMin: number;

  constructor(kind: CompressionKind, options: DecompressOptions) {
    this.#kind = kind;
    this.#maxOut = options.maxOutputBytes ?? DEFAULT_LIMITS.maxDecompressedBytes;
    this.#maxRatio = options.maxRatio ?? DEFAULT_LIMITS.maxCompressionRatio;
    this.#ratioMin = options.ratioCheckMinBytes ?? DEFAULT_LIMITS.ratioCheckMinBytes;
  }

  addOut(n: number): void {
    const e = this.check(n);
    if (e) throw e;
  }

  /** Counts `n` more output bytes; returns the limit error if that passes a limit. */
  check(n: number): ImgsizeError | undefined {
    const out = (this.outBytes += n);
    if (out > this.#maxOut) {
      return limitError('maxDecompressedBytes', this.#maxOut, `${this.#kind} stream decompresses to more than ${this.#maxOut} bytes (decompression bomb?)`);
    }
    if (out > this.#ratioMin && out > this.inBytes * this.#maxRatio) {
      return limitError(
        'maxCompressionRatio',
        this.#maxRatio,
        `${this.#kind} stream expands more than ${this.#maxRatio}:1 (${out} bytes from ${this.inBytes}; decompression bomb?)`,
      );
    }
    return undefined;
  }
}

/**
 * zlib is fed in pieces cut at fixed input offsets, so that its work does not depend on the caller's
 * chunking. A piece is a view of the caller's chunk only until zlib has consumed it (a piece is
 * above the stream's high-water mark, so the feed waits for 'drain'); what is carried over to the
 * next chunk is copied: the source may reuse a chunk once the next one is asked for (fd-reader.ts).
 */
const ZLIB_PIECE = 64 * 1024;

/**
 * Re-cuts a byte stream into ZLIB_PIECE pieces at absolute offsets (the last one shorter). Partial
 * pieces are copied: the caller may reuse its buffers once we have moved on.
 */
async function* fixedPieces(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  let carry: Buffer[] = [];
  let carried = 0;
  for await (const c of source) {
    let off = 0;
    if (carried > 0) {
      const need = ZLIB_PIECE - carried;
      if (c.length < need) {
        carry.push(Buffer.from(c));
        carried += c.length;
        continue;
      }
      carry.push(c.subarray(0, need));
      const piece = Buffer.concat(carry);
      carry = [];
      carried = 0;
      off = need;
      yield piece;
    }
    while (c.length - off >= ZLIB_PIECE) {
      yield c.subarray(off, off + ZLIB_PIECE);
      off += ZLIB_PIECE;
    }
    if (off < c.length) {
      carry.push(Buffer.from(c.subarray(off)));
      carried = c.length - off;
    }
  }
  if (carried > 0) yield Buffer.concat(carry);
}

function emptyStreamError(kind: CompressionKind): ImgsizeError {
  return new ImgsizeError('E_TRUNCATED', `${kind} stream is empty`);
}

/** Turns a zlib / fzstd failure into E_TRUNCATED or E_DECOMPRESS; ImgsizeErrors pass through. */
function decompressError(e: unknown, kind: CompressionKind): unknown {
  if (e instanceof ImgsizeError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const msg = typeof err?.message === 'string' ? err.message.toLowerCase() : String(e);
  const truncated =
    err?.code === 'Z_BUF_ERROR' || msg.includes('unexpected end') || (kind === 'zstd' && err?.code === 5 && msg === 'unexpected eof');
  if (truncated) {
    return new ImgsizeError('E_TRUNCATED', `${kind} stream ends early (unexpected end of compressed data)`, { cause: e });
  }
  return new ImgsizeError('E_DECOMPRESS', `corrupt ${kind} stream: ${msg}`, { cause: e });
}

// ---------------------------------------------------------------------------------------------
// Decoders (pull-based)

async function* zlibDecode(
  source: AsyncIterable<Buffer>,
  z: Transform,
  kind: CompressionKind,
  lim: OutputLimiter,
): AsyncGenerator<Buffer, void, undefined> {
  const ac = new AbortController();
  let sourceError: { e: unknown; as: Error } | undefined;
  let fed = 0;
  // Limits are checked as zlib produces output, with the input zlib has consumed so far, not as
  // our consumer reads it: a corruption error discards output that was produced but not yet
  // read, and which of the two errors came first would otherwise depend on the chunking. With
  // fixed input pieces, zlib's calls, their output and the errors are the same for any chunking.
  const push = z.push.bind(z);
  z.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (Buffer.isBuffer(chunk) && !z.destroyed) {
      lim.inBytes = (z as unknown as { bytesWritten: number }).bytesWritten;
      const err = lim.check(chunk.length);
      if (err) {
        z.destroy(err);
        return false;
      }
    }
    return push(chunk, encoding);
  };
  const feed = async (): Promise<void> => {
    try {
      for await (const chunk of fixedPieces(source)) {
        if (ac.signal.aborted || z.destroyed) return;
        fed += chunk.length;
        if (!z.write(chunk)) {
          try {
            await once(z, 'drain', { signal: ac.signal });
          } catch {
            return; // z failed (its iterator reports why) or the consumer went away
          }
        }
      }
    } catch (e) {
      sourceError = { e, as: e instanceof Error ? e : new Error(String(e)) };
      z.destroy(sourceError.as);
      return;
    }
    if (z.destroyed) return;
    if (fed === 0) z.destroy(emptyStreamError(kind));
    else z.end();
  };
  void feed();
  try {
    for await (const out of z as AsyncIterable<Buffer>) yield out;
  } catch (e) {
    if (sourceError !== undefined && e === sourceError.as) throw sourceError.e;
    throw decompressError(e, kind);
  } finally {
    ac.abort();
    z.destroy();
  }
}

async function* fzstdDecode(
  source: AsyncIterable<Buffer>,
  lim: OutputLimiter,
): AsyncGenerator<Buffer, void, undefined> {
  let outs: Buffer[] = [];
  const d = new Decompress((data) => {
    if (data.length === 0) return;
    lim.addOut(data.length);
    outs.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      d.push(chunk, final);
    } catch (e) {
      outs = [];
      throw decompressError(e, 'zstd');
    }
  };
  const pacer = new ZstdPacer();
  for await (const borrowed of source) {
    // fzstd keeps unconsumed input between pushes, past the next read of a source that may
    // reuse its chunks (fd-reader.ts): it gets a copy (JS decoding costs far more than the copy).
    const chunk = Buffer.from(borrowed);
    lim.inBytes += chunk.length;
    for (const piece of pacer.cut(chunk)) {
      push(piece, false);
      if (outs.length > 0) {
        const ready = outs;
        outs = [];
        for (const b of ready) yield b;
      }
    }
  }
  if (lim.inBytes === 0) throw emptyStreamError('zstd');
  push(new Uint8Array(0), true);
  const ready = outs;
  outs = [];
  for (const b of ready) yield b;
}

/** Bound on what one fzstd push may decompress to (blocks whose header is in the piece). */
const ZSTD_PUSH_OUTPUT = 8 << 20;
/** A zstd block never decompresses to more (Block_Maximum_Size, RFC 8878 3.1.1.2.3). */
const ZSTD_BLOCK_MAX = 128 << 10;

const Z_MAGIC = 0;
const Z_FHD = 1;
const Z_BLOCK_HEADER = 2;
const Z_SKIPPABLE_SIZE = 3;
const Z_SKIP = 4;
const Z_CHECKSUM = 5;
const Z_OPAQUE = 6;

/**
 * Cuts a zstd stream into pieces for fzstd, whose `push` decompresses a whole piece synchronously
 * before the consumer (and the limits' exception) gets a say. Pieces were fixed 64 KiB slices,
 * but 64 KiB of RLE blocks (4 bytes each, 128 KiB of output) is 2 GiB: a 320 KB zstd bomb filled
 * 1.1 GB of memory before the ratio limit tripped (found by test/hostile/limits.test.ts). This
 * follows the frame format (RFC 8878: frame header, 3-byte block headers, checksum, skippable
 * frames) just enough to cut pieces so that the blocks starting in one piece decompress to at most
 * ZSTD_PUSH_OUTPUT bytes. It never validates: on anything it does not understand it falls back to
 * plain ZSTD_SLICE slices and lets fzstd report the error.
 */
export class ZstdPacer {
  #mode = Z_MAGIC;
  readonly #hdr = Buffer.alloc(4);
  #hdrFill = 0;
  /** Bytes to pass without looking at them (rest of a frame header, block body, checksum, skippable frame). */
  #skip = 0;
  /** Mode once the skip is done. */
  #next = Z_MAGIC;
  #checksum = false;

  /** Yields consecutive pieces of `chunk` (together exactly `chunk`). */
  *cut(chunk: Buffer): Generator<Buffer> {
    let start = 0;
    let bound = 0;
    let i = 0;
    const len = chunk.length;
    while (i < len) {
      if (i - start >= ZSTD_SLICE) {
        yield chunk.subarray(start, i);
        start = i;
        bound = 0;
      }
      if (this.#mode === Z_OPAQUE) {
        i = Math.min(len, start + ZSTD_SLICE);
        continue;
      }
      if (this.#mode === Z_SKIP) {
        const n = Math.min(this.#skip, len - i, start + ZSTD_SLICE - i);
        i += n;
        this.#skip -= n;
        if (this.#skip === 0) this.#mode = this.#next;
        continue;
      }
      // Header bytes: collect them (they may straddle chunks).
      const need = this.#mode === Z_BLOCK_HEADER ? 3 : this.#mode === Z_FHD ? 1 : 4;
      const headerStart = i - this.#hdrFill;
      while (this.#hdrFill < need && i < len) this.#hdr[this.#hdrFill++] = chunk[i++]!;
      if (this.#hdrFill < need) break;
      this.#hdrFill = 0;
      const h = this.#hdr;
      switch (this.#mode) {
        case Z_MAGIC: {
          const magic = h.readUInt32LE(0);
          if (magic === 0xfd2fb528) this.#mode = Z_FHD;
          else if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) this.#mode = Z_SKIPPABLE_SIZE;
          else this.#mode = Z_OPAQUE;
          break;
        }
        case Z_SKIPPABLE_SIZE:
          this.#skipThen(h.readUInt32LE(0), Z_MAGIC);
          break;
        case Z_CHECKSUM:
          this.#mode = Z_MAGIC;
          break;
        case Z_FHD: {
          const fhd = h[0]!;
          const single = (fhd >> 5) & 1;
          this.#checksum = ((fhd >> 2) & 1) === 1;
          const fcs = [single, 2, 4, 8][fhd >> 6]!;
          const did = [0, 1, 2, 4][fhd & 3]!;
          this.#skipThen((single ? 0 : 1) + did + fcs, Z_BLOCK_HEADER);
          break;
        }
        case Z_BLOCK_HEADER: {
          const v = h[0]! | (h[1]! << 8) | (h[2]! << 16);
          const type = (v >> 1) & 3;
          const size = v >>> 3;
          if (type === 3) {
            this.#mode = Z_OPAQUE;
            break;
          }
          const out = type === 2 ? ZSTD_BLOCK_MAX : size;
          if (bound + out > ZSTD_PUSH_OUTPUT && headerStart > start) {
            yield chunk.subarray(start, headerStart);
            start = headerStart;
            bound = 0;
          }
          bound += out;
          const last = (v & 1) === 1;
          this.#skipThen(type === 1 ? 1 : size, last ? (this.#checksum ? Z_CHECKSUM : Z_MAGIC) : Z_BLOCK_HEADER);
          break;
        }
      }
    }
    if (start < len) yield chunk.subarray(start);
  }

  #skipThen(n: number, next: number): void {
    if (n === 0) {
      this.#mode = next;
      return;
    }
    this.#skip = n;
    this.#mode = Z_SKIP;
    this.#next = next;
  }
}

type ZstdFactory = () => Transform;

/** node:zlib's zstd decompressor when this Node has one (not in Node 20). */
function nodeZstd(): ZstdFactory | undefined {
  const f = (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress;
  return typeof f === 'function' ? (f as ZstdFactory).bind(zlib) : undefined;
}

/**
 * Decompresses a whole byte stream (e.g. `docker save | gzip`). Concatenated gzip members and
 * zstd frames are supported. Errors: E_DECOMPRESS (corrupt), E_TRUNCATED (ends early or empty),
 * E_LIMIT (maxOutputBytes / maxRatio exceeded); errors of `source` itself pass through unchanged.
 */
export function decompressIterable(
  source: AsyncIterable<Buffer>,
  kind: CompressionKind,
  options: DecompressOptions = {},
): AsyncIterable<Buffer> {
  const lim = new OutputLimiter(kind, options);
  if (kind === 'gzip') return zlibDecode(source, zlib.createGunzip({ chunkSize: GZIP_OUTPUT_CHUNK }), kind, lim);
  const native = nodeZstd();
  if (native !== undefined) return zlibDecode(source, native(), kind, lim);
  return fzstdDecode(source, lim);
}

// ---------------------------------------------------------------------------------------------
// Push adapter

/** A one-consumer channel: `push` resolves once the consumer is done with the chunk (asks for the next). */
class Channel implements AsyncIterable<Buffer> {
  #queue: Buffer[] = [];
  #ended = false;
  #failure: { e: unknown } | undefined;
  #wakeConsumer: (() => void) | undefined;
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  push(chunk: Buffer): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.e);
    this.#queue.push(chunk);
    this.#wake();
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  fail(e: unknown): void {
    if (this.#failure) return;
    this.#failure = { e };
    this.#queue = [];
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(e);
    this.#wake();
  }

  #wake(): void {
    const w = this.#wakeConsumer;
    this.#wakeConsumer = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      if (this.#failure) throw this.#failure.e;
      const c = this.#queue.shift();
      if (c !== undefined) {
        yield c;
        // Back for more: the consumer is done with `c` (used or copied it), so its writer may go
        // on and reuse the memory (borrowed chunks: fd-reader.ts).
        if (this.#queue.length === 0) {
          const waiters = this.#waiters;
          this.#waiters = [];
          for (const w of waiters) w.resolve();
        }
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
      });
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * A ByteSink that decompresses what is written to it and writes the output to `downstream`,
 * awaiting downstream's promises (backpressure). `end()` finishes decompression, then returns
 * `downstream.end()`. A decompression failure destroys downstream and is reported by the pending
 * or next `write`, and by `end`.
 *
 * When downstream fails first (a corrupt tar inside a good gzip, or inside a corrupt one), the
 * rest of the input is still decompressed, its output discarded, and `end` reports the
 * decompressor's error if it finds one, else downstream's: corruption of the compressed bytes is
 * reported as what it is, E_DECOMPRESS / E_TRUNCATED, whatever the chunking of the input made the
 * tar reader see first. (Found by the fuzz suite: the two archive readers chunk differently.)
 */
export function createDecompressSink<R>(
  kind: CompressionKind,
  downstream: ByteSink<R>,
  options: DecompressOptions = {},
): ByteSink<R> {
  const channel = new Channel();
  let failure: { e: unknown } | undefined;
  let downstreamFailure: { e: unknown } | undefined;
  const fail = (e: unknown): void => {
    if (failure) return;
    failure = { e };
    channel.fail(e);
    downstream.destroy(e instanceof Error ? e : undefined);
  };
  const pumped = (async () => {
    for await (const out of decompressIterable(channel, kind, options)) {
      if (failure) return;
      if (downstreamFailure) continue; // draining: later corruption must still be seen
      try {
        const p = downstream.write(out);
        if (isThenable(p)) await p;
      } catch (e) {
        if (e instanceof ImgsizeError && e.code === 'E_ABORTED') throw e;
        downstreamFailure = { e };
      }
    }
  })().then(undefined, fail);
  let ended = false;
  return {
    write(chunk: Buffer): void | Promise<void> {
      if (failure) return Promise.reject(failure.e);
      if (ended) return Promise.reject(new ImgsizeError('E_INTERNAL', 'decompressor: write after end'));
      if (chunk.length === 0) return undefined;
      return channel.push(chunk);
    },
    async end(): Promise<R> {
      if (failure) throw failure.e;
      ended = true;
      channel.end();
      await pumped;
      const f = failure as { e: unknown } | undefined; // set by the pump meanwhile
      if (f) throw f.e;
      if (downstreamFailure) throw downstreamFailure.e;
      return downstream.end();
    },
    destroy(error?: Error): void {
      fail(error ?? new ImgsizeError('E_ABORTED', 'decompression stopped'));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Peeking

/**
 * Reads the first `n` bytes of `source` (fewer if it is shorter) without losing them: `rest`
 * replays the WHOLE stream, head included, then continues with the unread remainder. `rest` can
 * be iterated once; stopping early closes the source.
 */
export async function peek(
  source: AsyncIterable<Buffer>,
  n: number,
): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const buffered: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    if (r.value.length === 0) continue;
    len += r.value.length;
    // A chunk kept across the next read is copied (chunks may be borrowed: fd-reader.ts).
    buffered.push(len < n ? Buffer.from(r.value) : r.value);
  }
  const first = buffered[0];
  const head = buffered.length === 1 && first ? first.subarray(0, n) : Buffer.concat(buffered).subarray(0, n);
  let used = false;
  const rest: AsyncIterable<Buffer> = {
    async *[Symbol.asyncIterator]() {
      if (used) throw new ImgsizeError('E_INTERNAL', 'peek: the rest of the stream can be read only once');
      used = true;
      let finished = done;
      try {
        while (buffered.length > 0) yield buffered.shift()!;
        while (!finished) {
          const r = await it.next();
          if (r.done) {
            finished = true;
            break;
          }
          yield r.value;
        }
      } finally {
        if (!finished) {
          finished = true;
          await it.return?.();
        }
      }
    },
  };
  return { head, rest };
}
