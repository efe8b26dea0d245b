/**
 * CUDA fat binaries (`.nv_fatbin` / `__nv_relfatbin` sections): a sequence of containers, each a
 * 16-byte header (magic 0xBA55ED50, version 1, header size, body size) followed by entries laid
 * out back to back: an entry header (64 bytes; longer for PTX and from sm_100 on) and its payload,
 * padded to 8 bytes. Entry header fields used here (little-endian):
 *   0 kind u16 (1 PTX, 2 ELF/SASS, 0x10 ELF alt), 2 version u16 (0x0101), 4 header size u32,
 *   8 stored payload size u64, 16 compressed size u32, 28 sm u32, 40 flags u64
 *   (0x2000 LZ4, 0x8000 zstd), 56 uncompressed size u64.
 * Formats as documented by pytorch/test-infra tools/analytics/cubinsizes.py and
 * GrigoryEvko/nvopen-tools fatbin/FORMAT_SPECIFICATION.md; checked against cuobjdump
 * (test/gpu/cuobjdump.test.ts). Pure functions; the stream scanner keeps bounded state.
 */

/** Container magic of executable fatbins. */
export const FATBIN_MAGIC = 0xba55ed50;
/** Container magic of relocatable fatbins (`__nv_relfatbin` in some toolchains). */
export const FATBIN_REL_MAGIC = 0x466243b1;
export const FATBIN_HEADER_BYTES = 16;
export const FATBIN_ENTRY_BYTES = 64;
/** Largest entry header accepted (seen: 64, 72, 80, 96, 112). */
const MAX_ENTRY_HEADER = 4096;
/** Sections whose bytes are fat binaries. */
export const FATBIN_SECTION_NAMES: readonly string[] = ['.nv_fatbin', '__nv_relfatbin'];

const FLAG_LZ4 = 0x2000n;
const FLAG_ZSTD = 0x8000n;

/** What an entry holds: SASS (a cubin for one sm), PTX (JIT-compilable), or something else. */
export type FatbinKind = 'sass' | 'ptx' | 'other';
export type FatbinCompression = 'none' | 'lz4' | 'zstd';

/** One fatbin entry as stored. */
export interface FatbinEntry {
  kind: FatbinKind;
  kindCode: number;
  /** Architecture number: 80 for sm_80 (or compute_80 for PTX). */
  sm: number;
  /** File offset of the entry header. */
  offset: number;
  headerBytes: number;
  /** Stored payload bytes, padding included (the next entry follows them). */
  payloadBytes: number;
  /** Bytes of payload data: the compressed size when compressed, else `payloadBytes`. */
  dataBytes: number;
  compression: FatbinCompression;
  /** Payload bytes once decompressed (from the header when compressed, else `payloadBytes`). */
  uncompressedBytes: number;
}

/** Stable codes of the GPU inventory's warnings (a malformed fatbin never fails an analysis). */
export const GPU_WARNING_CODES = [
  'W_ELF_MALFORMED', // ELF header or section table unusable (out of the file, bad sizes)
  'W_FATBIN_MALFORMED', // bad container magic/version or entry header
  'W_FATBIN_TRUNCATED', // a section or container runs past the end of its section or file
  'W_FATBIN_LIMIT', // more entries than the inventory keeps
  'W_FATBIN_UNRESOLVED', // stream path: fatbin bytes could not be matched to the section table
] as const;
export type GpuWarningCode = (typeof GPU_WARNING_CODES)[number];

/** A recoverable oddity found while reading one file's fat binaries. */
export interface GpuProblem {
  code: GpuWarningCode;
  message: string;
}

/** Parsed container header, or a problem string. */
export interface FatbinContainerHeader {
  magic: number;
  headerBytes: number;
  bodyBytes: number;
}

/** Parses the 16-byte container header at `off` of `buf`. */
export function parseContainerHeader(buf: Buffer, off: number): FatbinContainerHeader | string {
  if (off + FATBIN_HEADER_BYTES > buf.length) return 'container header truncated';
  const magic = buf.readUInt32LE(off);
  if (magic !== FATBIN_MAGIC && magic !== FATBIN_REL_MAGIC) return 'no container magic';
  const version = buf.readUInt16LE(off + 4);
  if (version !== 1) return `unknown container version ${version}`;
  const headerBytes = buf.readUInt16LE(off + 6);
  if (headerBytes < FATBIN_HEADER_BYTES) return `container header size ${headerBytes} < 16`;
  const body = buf.readBigUInt64LE(off + 8);
  if (body > BigInt(Number.MAX_SAFE_INTEGER)) return 'container size out of range';
  return { magic, headerBytes, bodyBytes: Number(body) };
}

/** Parses the entry header at `off` of `buf` (`fileOffset` is where it sits in the file). */
export function parseEntryHeader(buf: Buffer, off: number, fileOffset: number): FatbinEntry | string {
  if (off + FATBIN_ENTRY_BYTES > buf.length) return 'entry header truncated';
  const kindCode = buf.readUInt16LE(off);
  const version = buf.readUInt16LE(off + 2);
  const headerBytes = buf.readUInt32LE(off + 4);
  const payload = buf.readBigUInt64LE(off + 8);
  if (version !== 0x0101) return `unknown entry version 0x${version.toString(16)}`;
  if (headerBytes < FATBIN_ENTRY_BYTES || headerBytes > MAX_ENTRY_HEADER) return `entry header size ${headerBytes} out of range`;
  if (payload > BigInt(Number.MAX_SAFE_INTEGER)) return 'entry payload size out of range';
  const payloadBytes = Number(payload);
  const kind: FatbinKind = kindCode === 1 ? 'ptx' : kindCode === 2 || kindCode === 0x10 ? 'sass' : 'other';
  const sm = buf.readUInt32LE(off + 28);
  const flags = buf.readBigUInt64LE(off + 40);
  const compression: FatbinCompression = (flags & FLAG_ZSTD) !== 0n ? 'zstd' : (flags & FLAG_LZ4) !== 0n ? 'lz4' : 'none';
  let dataBytes = payloadBytes;
  let uncompressedBytes = payloadBytes;
  if (compression !== 'none') {
    const c = buf.readUInt32LE(off + 16);
    const u = buf.readBigUInt64LE(off + 56);
    if (c > payloadBytes) return `compressed size ${c} exceeds the stored payload (${payloadBytes})`;
    if (c > 0) dataBytes = c;
    if (u > 0n && u <= BigInt(Number.MAX_SAFE_INTEGER)) uncompressedBytes = Number(u);
  }
  return { kind, kindCode, sm, offset: fileOffset, headerBytes, payloadBytes, dataBytes, compression, uncompressedBytes };
}

/** A synchronous positional read of a file: up to `length` bytes at `offset` (fewer at the end). */
export type ReadAt = (offset: number, length: number) => Buffer;

/** Entries and problems accumulated over one file's fatbin sections. */
export interface FatbinWalk {
  entries: FatbinEntry[];
  containers: number;
  problems: GpuProblem[];
}

/**
 * Walks the fatbin section [start, start + size) of a file through `read` (one read per container
 * header and per entry header, never the payloads), appending to `out`. Stops at `maxEntries`.
 */
export function walkFatbinSection(read: ReadAt, start: number, size: number, sectionName: string, out: FatbinWalk, maxEntries: number): void {
  const end = start + size;
  let off = start;
  while (off < end) {
    const head = read(off, FATBIN_HEADER_BYTES + FATBIN_ENTRY_BYTES);
    if (off + FATBIN_HEADER_BYTES > end) return; // alignment padding: too short for a container
    if (head.length < FATBIN_HEADER_BYTES) {
      out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: the file ends at offset 0x${(off + head.length).toString(16)}, inside the section` });
      return;
    }
    const ch = parseContainerHeader(head, 0);
    if (typeof ch === 'string') {
      out.problems.push({ code: 'W_FATBIN_MALFORMED', message: `${sectionName}: container at offset 0x${off.toString(16)}: ${ch}` });
      return;
    }
    out.containers++;
    let cend = off + ch.headerBytes + ch.bodyBytes;
    if (cend > end) {
      out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: container at offset 0x${off.toString(16)} claims ${ch.headerBytes + ch.bodyBytes} bytes, past the end of the section` });
      cend = end;
    }
    let e = off + ch.headerBytes;
    while (e < cend) {
      if (out.entries.length >= maxEntries) {
        out.problems.push({ code: 'W_FATBIN_LIMIT', message: `${sectionName}: more than ${maxEntries} fatbin entries; the rest are not counted` });
        return;
      }
      const buf = e === off + FATBIN_HEADER_BYTES && head.length >= FATBIN_HEADER_BYTES + FATBIN_ENTRY_BYTES ? head.subarray(FATBIN_HEADER_BYTES) : read(e, FATBIN_ENTRY_BYTES);
      if (e + FATBIN_ENTRY_BYTES > cend) {
        out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: container at offset 0x${off.toString(16)}: entry at offset 0x${e.toString(16)}: entry header runs past the container` });
        break;
      }
      const entry = parseEntryHeader(buf, 0, e);
      if (typeof entry === 'string') {
        out.problems.push({ code: 'W_FATBIN_MALFORMED', message: `${sectionName}: container at offset 0x${off.toString(16)}: entry at offset 0x${e.toString(16)}: ${entry}` });
        break;
      }
      const next = e + entry.headerBytes + entry.payloadBytes;
      if (next > cend) {
        out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: container at offset 0x${off.toString(16)}: entry at offset 0x${e.toString(16)} runs past its container` });
        break;
      }
      out.entries.push(entry);
      e = next;
    }
    off = off + ch.headerBytes + ch.bodyBytes;
  }
}

/** A container found in passing bytes by the stream scanner. */
export interface ScannedContainer {
  start: number;
  /** End offset (start + header + body). */
  end: number;
  entries: FatbinEntry[];
  /** Why the parse stopped early, when it did, and the offset of the header at fault. */
  error?: string | undefined;
  errorAt?: number | undefined;
}

const MAGIC_BYTES = [Buffer.from([0x50, 0xed, 0x55, 0xba]), Buffer.from([0xb1, 0x43, 0x62, 0x46])];
const P_HEADER = 0;
const P_ENTRY = 1;

/** One candidate container being parsed from passing bytes. */
class ContainerParser {
  readonly rec: ScannedContainer;
  pos: number;
  #phase = P_HEADER;
  #buf = Buffer.alloc(FATBIN_ENTRY_BYTES);
  #fill = 0;
  #need = FATBIN_HEADER_BYTES;
  done = false;

  constructor(start: number) {
    this.rec = { start, end: start, entries: [] };
    this.pos = start;
  }

  /** Consumes what it needs of `chunk` (at file offset `at`). */
  feed(at: number, chunk: Buffer, budget: { left: number }): void {
    const stop = at + chunk.length;
    while (!this.done && this.pos < stop) {
      if (this.pos < at) {
        this.#fail('bytes missing', this.pos);
        return;
      }
      const n = Math.min(this.#need - this.#fill, stop - this.pos);
      chunk.copy(this.#buf, this.#fill, this.pos - at, this.pos - at + n);
      this.#fill += n;
      this.pos += n;
      if (this.#fill < this.#need) return;
      const headerAt = this.pos - this.#need;
      this.#fill = 0;
      if (this.#phase === P_HEADER) {
        const h = parseContainerHeader(this.#buf, 0);
        if (typeof h === 'string') return this.#fail(h, headerAt);
        this.rec.end = this.rec.start + h.headerBytes + h.bodyBytes;
        this.pos = this.rec.start + h.headerBytes;
        this.#phase = P_ENTRY;
        this.#need = FATBIN_ENTRY_BYTES;
      } else {
        const e = headerAt + FATBIN_ENTRY_BYTES > this.rec.end ? 'entry header runs past the container' : parseEntryHeader(this.#buf, 0, headerAt);
        if (typeof e === 'string') return this.#fail(`entry at offset 0x${headerAt.toString(16)}: ${e}`, headerAt);
        const next = headerAt + e.headerBytes + e.payloadBytes;
        if (next > this.rec.end) return this.#fail(`entry at offset 0x${headerAt.toString(16)} runs past its container`, headerAt);
        if (budget.left <= 0) return this.#fail('entry limit reached', headerAt);
        budget.left--;
        this.rec.entries.push(e);
        this.pos = next;
      }
      if (this.pos >= this.rec.end) this.done = true;
    }
  }

  #fail(why: string, at: number): void {
    // Entries read before the problem stay: the positional walk counts them too.
    this.rec.error = why;
    this.rec.errorAt = at;
    this.done = true;
  }
}

/**
 * Finds fatbin containers in bytes passing in file order, in bounded memory: every container
 * magic starts a small parser that follows the entry headers and skips the payloads. Which of the
 * candidates are real is decided later against the section table (`reconcileSection`).
 */
export class FatbinStreamScanner {
  readonly containers = new Map<number, ScannedContainer>();
  #active: ContainerParser[] = [];
  #tail = Buffer.alloc(0);
  #tailAt = 0;
  readonly #maxActive: number;
  readonly #budget: { left: number };
  /** Candidates dropped because too many were open at once, or the entry budget ran out. */
  dropped = 0;

  constructor(maxEntries: number, maxActive = 64) {
    this.#budget = { left: maxEntries };
    this.#maxActive = maxActive;
  }

  /** Bytes of the file at offset `at`, in order and contiguous with the previous call. */
  data(at: number, chunk: Buffer): void {
    for (const p of this.#active) p.feed(at, chunk, this.#budget);
    // Search the last byte of each magic (memchr speed), then check the 3 bytes before it, which
    // may sit in the previous chunk's tail.
    for (const m of MAGIC_BYTES) {
      const last = m[3]!;
      let i = chunk.indexOf(last);
      while (i >= 0) {
        if (this.#magicEndsAt(chunk, i, m)) {
          const start = at + i - 3;
          const p = this.#spawn(start);
          if (p) {
            if (start < at) p.feed(this.#tailAt, this.#tail, this.#budget);
            p.feed(at, chunk, this.#budget);
          }
        }
        i = chunk.indexOf(last, i + 1);
      }
    }
    if (this.#active.some((p) => p.done)) this.#active = this.#active.filter((p) => !p.done);
    const keep = Math.min(3, chunk.length);
    const tail = Buffer.concat([this.#tail, chunk.subarray(chunk.length - keep)]);
    this.#tail = Buffer.from(tail.subarray(tail.length - 3 < 0 ? 0 : tail.length - 3));
    this.#tailAt = at + chunk.length - this.#tail.length;
  }

  /** True when `m` ends at chunk[i], looking back into the previous tail when needed. */
  #magicEndsAt(chunk: Buffer, i: number, m: Buffer): boolean {
    for (let k = 1; k <= 3; k++) {
      const j = i - k;
      const b = j >= 0 ? chunk[j] : this.#tail[this.#tail.length + j];
      if (b !== m[3 - k]) return false;
    }
    return true;
  }

  #spawn(start: number): ContainerParser | undefined {
    if (this.containers.has(start)) return undefined;
    if (this.#active.length >= this.#maxActive) {
      this.dropped++;
      return undefined;
    }
    const p = new ContainerParser(start);
    this.containers.set(start, p.rec);
    this.#active.push(p);
    return p;
  }

  /** Ends the stream: parsers still open become truncated candidates. */
  end(): void {
    for (const p of this.#active) {
      if (!p.done) {
        p.rec.error = 'the file ends inside the container';
        p.rec.errorAt = p.pos;
      }
    }
    this.#active = [];
  }
}

/**
 * Follows the container chain of the section [start, start + size) through the scanner's
 * candidates, as `walkFatbinSection` would through positional reads, appending to `out`.
 */
export function reconcileSection(containers: ReadonlyMap<number, ScannedContainer>, start: number, size: number, sectionName: string, out: FatbinWalk, maxEntries: number): void {
  const end = start + size;
  let off = start;
  while (off < end) {
    if (end - off < FATBIN_HEADER_BYTES) return;
    const c = containers.get(off);
    if (!c) {
      out.problems.push({ code: 'W_FATBIN_MALFORMED', message: `${sectionName}: container at offset 0x${off.toString(16)}: no container magic` });
      return;
    }
    const headerFailed = c.error !== undefined && c.errorAt === off;
    if (headerFailed) {
      out.problems.push({ code: 'W_FATBIN_MALFORMED', message: `${sectionName}: container at offset 0x${off.toString(16)}: ${c.error}` });
      return;
    }
    out.containers++;
    if (c.end > end) {
      out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: container at offset 0x${off.toString(16)} claims ${c.end - off} bytes, past the end of the section` });
    }
    let stopped = false;
    for (const e of c.entries) {
      if (e.offset >= end) break; // the positional walk stops at the section's end
      if (e.offset + FATBIN_ENTRY_BYTES > end) {
        out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: container at offset 0x${off.toString(16)}: entry at offset 0x${e.offset.toString(16)}: entry header runs past the container` });
        stopped = true;
        break;
      }
      if (e.offset + e.headerBytes + e.payloadBytes > end) {
        out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: container at offset 0x${off.toString(16)}: entry at offset 0x${e.offset.toString(16)} runs past its container` });
        stopped = true;
        break;
      }
      if (out.entries.length >= maxEntries) {
        out.problems.push({ code: 'W_FATBIN_LIMIT', message: `${sectionName}: more than ${maxEntries} fatbin entries; the rest are not counted` });
        return;
      }
      out.entries.push(e);
    }
    // A parse that failed past the section's end is not this section's problem, except that the
    // positional walk, bounded by the section, finds the entry header cut there.
    const at = c.errorAt ?? off;
    if (!stopped && c.error !== undefined && at < end) {
      if (at + FATBIN_ENTRY_BYTES > end) {
        out.problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${sectionName}: container at offset 0x${off.toString(16)}: entry at offset 0x${at.toString(16)}: entry header runs past the container` });
      } else {
        const code: GpuWarningCode = c.error === 'entry limit reached' ? 'W_FATBIN_LIMIT' : /past|ends inside/.test(c.error) ? 'W_FATBIN_TRUNCATED' : 'W_FATBIN_MALFORMED';
        out.problems.push({ code, message: `${sectionName}: container at offset 0x${off.toString(16)}: ${c.error}` });
      }
    }
    if (c.end <= off) return;
    off = c.end;
  }
}
