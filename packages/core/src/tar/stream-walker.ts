/**
 * Push-based tar walker: parses a tar stream incrementally from chunks of any size, hands wanted
 * payload ranges to the visitor as sub-slices of the written chunks (no copies), and skips the
 * rest by counting. Header and metadata handling is TarHeaderState's (shared with the positional
 * walker); this file only moves bytes.
 *
 * The hot path is synchronous: a visitor promise is awaited only when one is returned, and
 * `write` returns a promise only then.
 */

import { ImgsizeError } from '../errors.js';
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
import type { ByteRange, ByteSink, TarEntryHeader, TarLimits, TarVisitor, TarWalkResult } from './types.js';

/** Options both walkers accept. */
export interface TarWalkOptions {
  limits?: Partial<TarLimits>;
  signal?: AbortSignal;
}

const M_HEADER = 0;
const M_META = 1;
const M_DATA = 2;
const M_SKIP = 3;
const M_DONE = 4;
const M_FAILED = 5;
const M_ENDED = 6;

const EMPTY = Buffer.alloc(0);
const NO_RANGES: readonly ByteRange[] = [];

function abortError(signal: AbortSignal): ImgsizeError {
  return new ImgsizeError('E_ABORTED', 'aborted', { cause: signal.reason });
}

export class TarStreamWalker implements ByteSink<TarWalkResult> {
  readonly #visitor: TarVisitor;
  readonly #state: TarHeaderState;
  readonly #signal: AbortSignal | undefined;

  #mode = M_HEADER;
  /** Stream offset of the next byte to consume. */
  #off = 0;
  readonly #hdr = Buffer.alloc(BLOCK_SIZE);
  #hdrFill = 0;
  #meta: Buffer = EMPTY;
  #metaFill = 0;
  #entry: TarEntryHeader | undefined = undefined;
  /** Payload start (stream offset) of the current entry; kept apart from the visitor's object. */
  #payloadStart = 0;
  #payloadEnd = 0;
  #ranges: readonly ByteRange[] = NO_RANGES;
  #ri = 0;
  /** Stream offset where the next header starts (end of payload + padding). */
  #skipTo = 0;
  #error: unknown = undefined;
  #busy = false;

  constructor(visitor: TarVisitor, options: TarWalkOptions = {}) {
    this.#visitor = visitor;
    this.#state = new TarHeaderState(resolveLimits(options.limits));
    this.#signal = options.signal;
  }

  write(chunk: Buffer): void | Promise<void> {
    if (this.#mode === M_FAILED) throw this.#error;
    if (this.#mode === M_ENDED) throw new ImgsizeError('E_INTERNAL', 'tar walker: write after end');
    if (this.#busy) throw new ImgsizeError('E_INTERNAL', 'tar walker: write before the previous write finished');
    if (this.#signal?.aborted) throw this.#fail(abortError(this.#signal));
    let r: Promise<void> | undefined;
    try {
      r = this.#run(chunk, 0);
    } catch (e) {
      throw this.#fail(e);
    }
    if (r === undefined) return;
    this.#busy = true;
    return r.then(
      () => {
        this.#busy = false;
      },
      (e: unknown) => {
        this.#busy = false;
        throw this.#fail(e);
      },
    );
  }

  async end(): Promise<TarWalkResult> {
    if (this.#mode === M_FAILED) throw this.#error;
    if (this.#busy) throw this.#fail(new ImgsizeError('E_INTERNAL', 'tar walker: end before the last write finished'));
    if (this.#mode === M_ENDED) throw new ImgsizeError('E_INTERNAL', 'tar walker: end called twice');
    const err = this.#truncation();
    if (err !== undefined) throw this.#fail(err);
    this.#mode = M_ENDED;
    const s = this.#state;
    return { entries: s.entries, tarBytes: s.tarBytes, warnings: s.warnings.slice() };
  }

  destroy(error?: Error): void {
    if (this.#mode === M_FAILED) return;
    this.#error = error ?? new ImgsizeError('E_ABORTED', 'tar walker destroyed');
    this.#mode = M_FAILED;
    this.#meta = EMPTY;
  }

  #fail(e: unknown): unknown {
    if (this.#mode !== M_FAILED) {
      this.#error = e;
      this.#mode = M_FAILED;
      this.#meta = EMPTY;
    }
    return this.#error;
  }

  #truncation(): ImgsizeError | undefined {
    switch (this.#mode) {
      case M_DONE:
        return undefined;
      case M_HEADER:
        if (this.#off === 0 && this.#hdrFill === 0) return truncatedError('empty', 0);
        if (this.#hdrFill > 0) return truncatedError('header', this.#off);
        if (this.#state.afterZeroBlock) return truncatedError('zero', this.#off - BLOCK_SIZE);
        return truncatedError('marker', this.#off);
      case M_META:
        return truncatedError('meta', this.#state.metaOffset - BLOCK_SIZE);
      case M_DATA:
        return truncatedError('payload', this.#off, this.#entry?.name);
      default:
        return this.#off < this.#payloadEnd
          ? truncatedError('payload', this.#off, this.#entry?.name)
          : truncatedError('padding', this.#off);
    }
  }

  /** Starts the payload of `h` after the visitor chose `wanted`; returns entryEnd's promise if any. */
  #begin(h: TarEntryHeader, wanted: readonly ByteRange[] | null): void | PromiseLike<unknown> {
    const ranges = checkRanges(wanted, h.name, this.#payloadEnd - this.#payloadStart);
    if (ranges.length === 0 || this.#visitor.data === undefined) {
      this.#mode = this.#skipTo === this.#off ? M_HEADER : M_SKIP;
      return this.#visitor.entryEnd?.(h);
    }
    this.#ranges = ranges;
    this.#ri = 0;
    this.#mode = M_DATA;
    return undefined;
  }

  /** Before resuming after a visitor promise: stop if destroyed or aborted meanwhile. */
  #checkResume(): void {
    if (this.#mode === M_FAILED) throw this.#error;
    if (this.#signal?.aborted) throw abortError(this.#signal);
  }

  /** Continues `#run` after a visitor promise settles. */
  #then(p: PromiseLike<unknown>, chunk: Buffer, pos: number): Promise<void> {
    return Promise.resolve(p).then(() => {
      this.#checkResume();
      return this.#run(chunk, pos);
    });
  }

  /** Consumes `chunk[pos..]`; returns a promise only when a visitor returned one. */
  #run(chunk: Buffer, pos: number): Promise<void> | undefined {
    const len = chunk.length;
    while (pos < len) {
      switch (this.#mode) {
        case M_HEADER: {
          let buf: Buffer;
          let boff: number;
          if (this.#hdrFill === 0 && len - pos >= BLOCK_SIZE) {
            buf = chunk;
            boff = pos;
            pos += BLOCK_SIZE;
          } else {
            const n = Math.min(BLOCK_SIZE - this.#hdrFill, len - pos);
            chunk.copy(this.#hdr, this.#hdrFill, pos, pos + n);
            this.#hdrFill += n;
            pos += n;
            if (this.#hdrFill < BLOCK_SIZE) return undefined;
            this.#hdrFill = 0;
            buf = this.#hdr;
            boff = 0;
          }
          const at = this.#off;
          this.#off = at + BLOCK_SIZE;
          const res = this.#state.block(buf, boff, at);
          if (res === BLOCK_ENTRY) {
            const h = this.#state.entry!;
            this.#entry = h;
            this.#payloadStart = this.#off;
            // Framing follows the bytes stored (a sparse file's `size` is its logical size).
            const stored = h.dataSize ?? h.size;
            this.#payloadEnd = this.#off + stored;
            this.#skipTo = this.#off + padded(stored);
            if (this.#signal?.aborted) throw abortError(this.#signal);
            const wanted = this.#visitor.entry(h);
            if (isThenable(wanted)) {
              return Promise.resolve(wanted).then((w) => {
                this.#checkResume();
                const q = this.#begin(h, w);
                return isThenable(q) ? this.#then(q, chunk, pos) : this.#run(chunk, pos);
              });
            }
            const q = this.#begin(h, wanted);
            if (isThenable(q)) return this.#then(q, chunk, pos);
          } else if (res === BLOCK_META) {
            const size = this.#state.metaSize;
            this.#payloadStart = this.#off;
            this.#payloadEnd = this.#off + size;
            this.#skipTo = this.#off + padded(size);
            if (len - pos >= size) {
              // Whole record in this chunk: no copy.
              this.#state.meta(chunk.subarray(pos, pos + size));
              pos += size;
              this.#off += size;
              this.#mode = this.#skipTo === this.#off ? M_HEADER : M_SKIP;
            } else {
              this.#meta = Buffer.allocUnsafe(size);
              this.#metaFill = 0;
              this.#mode = M_META;
            }
          } else if (res === BLOCK_END) {
            this.#mode = M_DONE;
          }
          break;
        }
        case M_DATA: {
          const r = this.#ranges[this.#ri]!;
          const rel = this.#off - this.#payloadStart;
          if (rel < r[0]) {
            const n = Math.min(r[0] - rel, len - pos);
            pos += n;
            this.#off += n;
            break;
          }
          const n = Math.min(r[1] - rel, len - pos);
          const slice = n === len ? chunk : chunk.subarray(pos, pos + n);
          pos += n;
          this.#off += n;
          const p = this.#visitor.data!(rel, slice);
          const done = rel + n === r[1] && ++this.#ri === this.#ranges.length;
          if (done) {
            this.#ranges = NO_RANGES;
            this.#mode = this.#skipTo === this.#off ? M_HEADER : M_SKIP;
          }
          if (isThenable(p)) {
            if (!done) return this.#then(p, chunk, pos);
            const h = this.#entry!;
            return Promise.resolve(p).then(() => {
              this.#checkResume();
              const q = this.#visitor.entryEnd?.(h);
              return isThenable(q) ? this.#then(q, chunk, pos) : this.#run(chunk, pos);
            });
          }
          if (done) {
            const q = this.#visitor.entryEnd?.(this.#entry!);
            if (isThenable(q)) return this.#then(q, chunk, pos);
          }
          break;
        }
        case M_SKIP: {
          const n = Math.min(this.#skipTo - this.#off, len - pos);
          pos += n;
          this.#off += n;
          if (this.#off === this.#skipTo) this.#mode = M_HEADER;
          break;
        }
        case M_META: {
          const n = Math.min(this.#meta.length - this.#metaFill, len - pos);
          chunk.copy(this.#meta, this.#metaFill, pos, pos + n);
          this.#metaFill += n;
          pos += n;
          this.#off += n;
          if (this.#metaFill === this.#meta.length) {
            const payload = this.#meta;
            this.#meta = EMPTY;
            this.#state.meta(payload);
            this.#mode = this.#skipTo === this.#off ? M_HEADER : M_SKIP;
          }
          break;
        }
        case M_DONE: {
          if (this.#state.trailingWanted > 0) this.#state.trailing(chunk, pos, len);
          return undefined;
        }
        default:
          throw this.#error ?? new ImgsizeError('E_INTERNAL', 'tar walker: write in an invalid state');
      }
    }
    return undefined;
  }
}

/** Walks a whole tar stream from an async iterable of chunks. */
export async function walkTarStream(
  source: AsyncIterable<Buffer>,
  visitor: TarVisitor,
  options: TarWalkOptions = {},
): Promise<TarWalkResult> {
  const walker = new TarStreamWalker(visitor, options);
  try {
    for await (const chunk of source) {
      const p = walker.write(chunk);
      if (p !== undefined) await p;
    }
    return await walker.end();
  } catch (e) {
    walker.destroy(e instanceof Error ? e : undefined);
    throw e;
  }
}
