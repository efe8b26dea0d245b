/**
 * Tar walker over a region of a file, using positional reads. Headers are read through an
 * adaptive read-ahead window (many small consecutive entries cost one read); payloads nobody
 * wants are jumped over, so they are only read when they happen to fall inside a window.
 * Wanted ranges are delivered from the window when they are in it, else with reads of at most
 * MAX_DIRECT_READ bytes.
 *
 * Visitor calls and the result are the same as TarStreamWalker's for the same bytes (header and
 * metadata handling is TarHeaderState's), except that `data` chunk boundaries may differ: the
 * concatenation of the chunks delivered for each range is identical.
 */

import type { FileHandle } from 'node:fs/promises';
import { readSync } from 'node:fs';
import { ImgsizeError, throwIfAborted } from '../errors.js';
import {
  BLOCK_END,
  BLOCK_ENTRY,
  BLOCK_META,
  BLOCK_SIZE,
  padded,
  resolveLimits,
  TarHeaderState,
  truncatedError,
} from './header.js';
import { checkRanges, isThenable } from './ranges.js';
import { Yielder } from './yielder.js';
import type { TarWalkOptions } from './stream-walker.js';
import type { ByteRange, TarEntryHeader, TarVisitor, TarWalkResult } from './types.js';

/*
 * Read-ahead follows the spacing of recent headers. A `pread` costs about as much as copying
 * 40 KiB from the page cache (~5 µs of syscall here), so when headers come every few KiB one
 * window should span several of them, and when they are far apart (big payloads) a window should
 * hold little more than the next header. The window is READ_AHEAD_HEADERS typical spacings (a
 * running mean of the distance between headers, each distance capped at SPACING_CAP so that one
 * big file moves it only once) within [DENSE_READ_AHEAD, MAX_READ_AHEAD], and MIN_READ_AHEAD (the
 * next header and its first metadata block) when even MAX_READ_AHEAD would span fewer than four.
 */
const MIN_READ_AHEAD = 1024;
/** The least window when headers are close: one read costs about as much as copying this. */
const DENSE_READ_AHEAD = 32 * 1024;
const MAX_READ_AHEAD = 512 * 1024;
const READ_AHEAD_HEADERS = 8;
const SPACING_CAP = 1024 * 1024;
/** Weight of the newest distance in the running mean of header spacing. */
const SPACING_WEIGHT = 1 / 8;
const MAX_DIRECT_READ = 1024 * 1024;
/*
 * Reads are synchronous `pread`s: an async read costs a thread-pool round trip (tens of µs on a
 * busy machine) per header window, which made the fast path 2-3x slower than GNU tar's listing
 * (BENCHMARKS.md). To stay a good citizen of the event loop, the walk yields by elapsed time
 * (Yielder: every ~20 ms of work, whatever the reads or the visitor cost), checking the signal.
 */

/** A synchronous positional read, like `fs.readSync(fd, buf, offset, length, position)`. */
export type PRead = (buf: Buffer, offset: number, length: number, position: number) => number;

export interface RegionWalkOptions extends TarWalkOptions {
  /** Substitute reader (tests count reads with it); default `readSync` on the handle's fd. */
  pread?: PRead | undefined;
  /** Called with the offset reached (relative to `start`) each time the walk yields (~every 20 ms). */
  onProgress?: ((offset: number) => void) | undefined;
}

/** Reads bytes of the region [base, base + end) (offsets relative to base) through a window. */
class RegionReader {
  readonly #pread: PRead;
  readonly #base: number;
  /** Region length in bytes (clamped to the file size for regular files). */
  end: number;
  #win: Buffer = Buffer.alloc(0);
  #winStart = 0;
  #winLen = 0;
  /** Reused for payload reads longer than the window (data()). */
  #direct: Buffer | undefined;
  #ahead = MIN_READ_AHEAD * 4;
  /** Running mean of the distance between the blocks asked for (header spacing). */
  #spacing = MIN_READ_AHEAD * 4;
  #lastBlock = 0;
  /** Number of reads issued (for tests and diagnostics). */
  reads = 0;

  constructor(fh: FileHandle, base: number, length: number, pread: PRead | undefined) {
    this.#pread = pread ?? ((b, o, l, p) => readSync(fh.fd, b, o, l, p));
    this.#base = base;
    this.end = length;
  }

  clampToFile(st: { isFile(): boolean; size: number }): void {
    if (st.isFile() && this.#base + this.end > st.size) this.end = Math.max(0, st.size - this.#base);
  }

  #readFully(buf: Buffer, n: number, pos: number): void {
    let got = 0;
    while (got < n) {
      this.reads++;
      const bytesRead = this.#pread(buf, got, n - got, this.#base + pos + got);
      if (bytesRead === 0) {
        throw new ImgsizeError('E_TRUNCATED', `unexpected end of file at offset ${pos + got} of the tar region`);
      }
      got += bytesRead;
    }
  }

  /** Refills the window at `off` with at least `n` bytes (and read-ahead, within the region). */
  #refill(off: number, n: number): void {
    const want = Math.min(Math.max(n, this.#ahead), this.end - off);
    // Reused: visitors copy what they keep of a data chunk (TarVisitor.data).
    if (this.#win.length < want) this.#win = Buffer.allocUnsafe(Math.max(want, this.#ahead));
    this.#winStart = off;
    this.#winLen = 0;
    this.#readFully(this.#win, want, off);
    this.#winLen = want;
  }

  #inWindow(off: number, n: number): boolean {
    return off >= this.#winStart && off + n <= this.#winStart + this.#winLen;
  }

  /** The 512-byte block at `off` (which must be within the region) as [buffer, index]. */
  block(off: number): [Buffer, number] {
    const d = Math.min(Math.abs(off - this.#lastBlock), SPACING_CAP);
    this.#lastBlock = off;
    this.#spacing += (d - this.#spacing) * SPACING_WEIGHT;
    if (!this.#inWindow(off, BLOCK_SIZE)) {
      const ahead = Math.ceil((this.#spacing * READ_AHEAD_HEADERS) / BLOCK_SIZE) * BLOCK_SIZE;
      this.#ahead = this.#spacing * 4 > MAX_READ_AHEAD ? MIN_READ_AHEAD : Math.min(MAX_READ_AHEAD, Math.max(DENSE_READ_AHEAD, ahead));
      this.#refill(off, BLOCK_SIZE);
    }
    return [this.#win, off - this.#winStart];
  }

  /**
   * Bytes [off, off + n) as [buffer, index] for immediate use (not retained by the caller).
   * `n` may be large (metadata records up to maxMetaEntryBytes).
   */
  bytes(off: number, n: number): [Buffer, number] {
    if (this.#inWindow(off, n)) return [this.#win, off - this.#winStart];
    if (n <= this.#ahead) {
      this.#refill(off, n);
      return [this.#win, 0];
    }
    const buf = Buffer.allocUnsafe(n);
    this.#readFully(buf, n, off);
    return [buf, 0];
  }

  /** A piece (1..n bytes) of [off, off + n), valid until the next read (TarVisitor.data). */
  data(off: number, n: number): Buffer {
    const winEnd = this.#winStart + this.#winLen;
    if (!(off >= this.#winStart && off < winEnd)) {
      if (n > this.#ahead) {
        const len = Math.min(n, MAX_DIRECT_READ);
        const buf = (this.#direct ??= Buffer.allocUnsafe(MAX_DIRECT_READ)).subarray(0, len);
        this.#readFully(buf, len, off);
        return buf;
      }
      // Small wanted payload: the window will also cover the headers that follow it.
      this.#refill(off, n);
    }
    const start = off - this.#winStart;
    const stop = Math.min(off + n, this.#winStart + this.#winLen) - this.#winStart;
    return this.#win.subarray(start, stop);
  }
}

/** Where a RegionWalk stands. */
const AT_HEADER = 0;
/** visitor.entry returned a promise; its ranges arrive in `#wanted`. */
const AT_WANTED = 1;
/** Delivering the wanted ranges' payload. */
const AT_RANGES = 2;
/** visitor.entryEnd was called; the entry's padding is checked next. */
const AT_ENTRY_END = 3;

/**
 * The walk proper, synchronous: `run()` goes on until the archive ends (it returns undefined and
 * `result` is set) or until something must be waited for (it returns that: a visitor's promise or
 * a yield to the event loop), and resumes where it stood on the next call. Keeping the awaits in
 * the small async driver (walkTarRegion) keeps this loop out of async-function machinery: V8
 * optimizes it as one plain function, and re-optimizing it after a deopt (a new visitor, a rare
 * branch taken for the first time) costs a fraction of what the whole async function did
 * (BENCHMARKS.md §4).
 */
class RegionWalk {
  readonly #r: RegionReader;
  readonly #state: TarHeaderState;
  readonly #visitor: TarVisitor;
  readonly #yielder: Yielder;
  readonly #hasData: boolean;
  #phase = AT_HEADER;
  #off = 0;
  // The entry in progress (its name as read: the visitor may modify its header object).
  #h: TarEntryHeader | undefined;
  #name = '';
  #payload = 0;
  #size = 0;
  #wanted: readonly ByteRange[] | null | undefined;
  #ranges: readonly ByteRange[] = [];
  #ri = 0;
  #cur = 0;
  result: TarWalkResult | undefined;
  /** Offset just past the end-of-archive marker, once reached. */
  endOffset = 0;

  constructor(r: RegionReader, state: TarHeaderState, visitor: TarVisitor, yielder: Yielder) {
    this.#r = r;
    this.#state = state;
    this.#visitor = visitor;
    this.#yielder = yielder;
    this.#hasData = visitor.data !== undefined;
  }

  run(): PromiseLike<unknown> | undefined {
    const r = this.#r;
    const state = this.#state;
    for (;;) {
      switch (this.#phase) {
        case AT_HEADER: {
          if (this.#yielder.due()) return this.#yielder.yield(this.#off);
          const off = this.#off;
          if (off + BLOCK_SIZE > r.end) {
            if (off < r.end) throw truncatedError('header', off);
            if (off === 0) throw truncatedError('empty', 0);
            if (state.afterZeroBlock) throw truncatedError('zero', off - BLOCK_SIZE);
            throw truncatedError('marker', off);
          }
          const [buf, boff] = r.block(off);
          const res = state.block(buf, boff, off);
          this.#off = off + BLOCK_SIZE;
          if (res === BLOCK_ENTRY) {
            const h = state.entry!;
            this.#h = h;
            this.#name = h.name;
            this.#payload = this.#off;
            // Framing follows the bytes stored (a sparse file's `size` is its logical size).
            this.#size = h.dataSize ?? h.size;
            const wanted = this.#visitor.entry(h);
            if (isThenable(wanted)) {
              this.#phase = AT_WANTED;
              return wanted.then((v) => {
                this.#wanted = v;
              });
            }
            this.#startRanges(wanted);
          } else if (res === BLOCK_META) {
            const size = state.metaSize;
            if (this.#off + size > r.end) throw truncatedError('meta', off);
            const [mbuf, moff] = r.bytes(this.#off, size);
            state.meta(mbuf.subarray(moff, moff + size));
            this.#off += padded(size);
            if (this.#off > r.end) throw truncatedError('padding', r.end);
          } else if (res === BLOCK_END) {
            let pos = this.#off;
            while (state.trailingWanted > 0 && pos < r.end) {
              const n = Math.min(state.trailingWanted, r.end - pos);
              const [tbuf, toff] = r.bytes(pos, n);
              state.trailing(tbuf, toff, toff + n);
              pos += n;
            }
            this.endOffset = this.#off;
            this.result = { entries: state.entries, tarBytes: state.tarBytes, warnings: state.warnings.slice() };
            return undefined;
          }
          break;
        }
        case AT_WANTED:
          this.#startRanges(this.#wanted);
          this.#wanted = undefined;
          break;
        case AT_RANGES: {
          const ranges = this.#ranges;
          const payload = this.#payload;
          while (this.#ri < ranges.length) {
            const stop = payload + ranges[this.#ri]![1];
            const avail = Math.min(stop, r.end);
            while (this.#cur < avail) {
              if (this.#yielder.due()) return this.#yielder.yield(this.#cur);
              const piece = r.data(this.#cur, avail - this.#cur);
              const p = this.#visitor.data!(this.#cur - payload, piece);
              this.#cur += piece.length;
              if (isThenable(p)) return p;
            }
            if (stop > r.end) throw truncatedError('payload', r.end, this.#name);
            this.#ri++;
            if (this.#ri < ranges.length) this.#cur = payload + ranges[this.#ri]![0];
          }
          this.#phase = AT_ENTRY_END;
          const p = this.#visitor.entryEnd?.(this.#h!);
          if (isThenable(p)) return p;
          break;
        }
        case AT_ENTRY_END: {
          const end = this.#payload + padded(this.#size);
          if (end > r.end) throw truncatedError(r.end < this.#payload + this.#size ? 'payload' : 'padding', r.end, this.#name);
          this.#off = end;
          this.#h = undefined;
          this.#phase = AT_HEADER;
          break;
        }
      }
    }
  }

  #startRanges(wanted: readonly ByteRange[] | null | undefined): void {
    const checked = checkRanges(wanted, this.#name, this.#size);
    this.#ranges = this.#hasData ? checked : [];
    this.#ri = 0;
    this.#cur = this.#ranges.length > 0 ? this.#payload + this.#ranges[0]![0] : 0;
    this.#phase = AT_RANGES;
  }
}

/**
 * Walks the tar stream stored at [start, start + length) of `fh`. Offsets reported to the visitor
 * and in errors are relative to `start`. Rejects E_TRUNCATED when the region (or the file) ends
 * before the end-of-archive marker.
 */
export async function walkTarRegion(
  fh: FileHandle,
  start: number,
  length: number,
  visitor: TarVisitor,
  options: RegionWalkOptions = {},
): Promise<TarWalkResult> {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0) {
    throw new ImgsizeError('E_INTERNAL', `invalid tar region [${start}, ${start} + ${length})`);
  }
  const { signal } = options;
  throwIfAborted(signal);
  const state = new TarHeaderState(resolveLimits(options.limits));
  const r = new RegionReader(fh, start, length, options.pread);
  r.clampToFile(await fh.stat());
  throwIfAborted(signal);
  const walk = new RegionWalk(r, state, visitor, new Yielder(signal, options.onProgress));
  // The signal is checked after every wait (the yielder's too), not per header: it can only fire
  // while the walk waits.
  for (;;) {
    const wait = walk.run();
    if (wait === undefined) {
      // Each walk has its own progress callback: called here, not in run(), whose optimized code
      // would be specialized on the first walk's callback and thrown away at the next.
      options.onProgress?.(walk.endOffset);
      return walk.result!;
    }
    await wait;
    throwIfAborted(signal);
  }
}
