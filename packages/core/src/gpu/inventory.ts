/**
 * The fatbin inventory of one ELF file, two ways that give the same result:
 * - `inspectElfAt`: positional reads of the ELF header, the section table, the section name table
 *   and the fatbin container/entry headers (never the payloads);
 * - `ElfStreamInspector`: the file's bytes passing in order, in bounded memory. Containers are
 *   recognised by their magic as they pass (fatbin.ts), the section table (usually at the end) and
 *   a window of bytes just before it (where linkers put `.shstrtab`) are kept, and the candidates
 *   are checked against the fatbin sections once the table has arrived.
 */
import { ELF_HEADER_BYTES, nameSections, parseElfHeader, parseSectionHeader, parseSectionTable, sectionCounts, SHT_NOBITS, type ElfHeader, type ElfSection } from './elf.js';
import {
  FATBIN_SECTION_NAMES,
  FatbinStreamScanner,
  reconcileSection,
  walkFatbinSection,
  type FatbinEntry,
  type FatbinKind,
  type FatbinWalk,
  type GpuProblem,
  type ReadAt,
} from './fatbin.js';

/** Default cap of fatbin entries kept per file (libtorch_cuda.so has tens of thousands). */
export const DEFAULT_MAX_FATBIN_ENTRIES = 1_000_000;
/** Largest section header table read (65,536 sections of 64 bytes = 4 MiB). */
const MAX_TABLE_BYTES = 16 * 1024 * 1024;
/** Largest section name table read. */
const MAX_STRTAB_BYTES = 1024 * 1024;
/** Bytes kept just before the section table on the stream path (where `.shstrtab` usually is). */
export const STREAM_NAME_WINDOW = 64 * 1024;
/** Name given to a fatbin section whose name could not be read on the stream path. */
export const UNNAMED_FATBIN_SECTION = '(unnamed fatbin section)';

export interface GpuInspectOptions {
  /** Max fatbin entries kept per file (default DEFAULT_MAX_FATBIN_ENTRIES). */
  maxEntries?: number | undefined;
}

/** A fatbin section of an ELF file, as `readelf -S` shows it. */
export interface FatbinSectionInfo {
  name: string;
  offset: number;
  size: number;
}

/** Every fatbin entry of one ELF file, with its fatbin sections and any problems. */
export interface ElfGpuInventory {
  sections: FatbinSectionInfo[];
  entries: FatbinEntry[];
  containers: number;
  problems: GpuProblem[];
}

function isFatbinSection(s: ElfSection): boolean {
  return s.name !== undefined && FATBIN_SECTION_NAMES.includes(s.name) && s.type !== SHT_NOBITS && s.size > 0;
}

/** Walks the fatbin sections, with the section-bounds checks both paths share. */
function inventoryOf(sections: FatbinSectionInfo[], fileSize: number, problems: GpuProblem[], walk: (s: FatbinSectionInfo, size: number, out: FatbinWalk) => void): ElfGpuInventory | null {
  const out: FatbinWalk = { entries: [], containers: 0, problems };
  for (const s of sections) {
    let size = s.size;
    if (s.offset + s.size > fileSize) {
      problems.push({ code: 'W_FATBIN_TRUNCATED', message: `${s.name}: section [0x${s.offset.toString(16)}, +${s.size}) runs past the end of the file (${fileSize} bytes)` });
      size = Math.max(0, fileSize - s.offset);
    }
    walk(s, size, out);
  }
  if (sections.length === 0 && problems.length === 0) return null;
  return { sections, entries: out.entries, containers: out.containers, problems };
}

function tableProblem(h: ElfHeader, count: number, fileSize: number): string | undefined {
  const bytes = count * h.shentsize;
  if (bytes > MAX_TABLE_BYTES) return `section header table of ${count} entries is too large`;
  if (h.shoff + bytes > fileSize) return `section header table [0x${h.shoff.toString(16)}, +${bytes}) runs past the end of the file (${fileSize} bytes)`;
  return undefined;
}

/**
 * Returns the fatbin inventory of the file of `fileSize` bytes behind `read` (positional reads
 * only), or null when it is not ELF or has no fatbin section.
 */
export function inspectElfAt(read: ReadAt, fileSize: number, options: GpuInspectOptions = {}): ElfGpuInventory | null {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_FATBIN_ENTRIES;
  const h = parseElfHeader(read(0, ELF_HEADER_BYTES));
  if (h === null || typeof h === 'string' || h.shoff === 0) return null;
  const problems: GpuProblem[] = [];
  const first = h.shoff + h.shentsize <= fileSize ? parseSectionHeader(read(h.shoff, h.shentsize), 0, 0, h) : null;
  const { count, shstrndx } = sectionCounts(h, first);
  if (count === 0) return null;
  const bad = tableProblem(h, count, fileSize);
  if (bad !== undefined) return { sections: [], entries: [], containers: 0, problems: [{ code: 'W_ELF_MALFORMED', message: bad }] };
  const sections = parseSectionTable(read(h.shoff, count * h.shentsize), h, count);
  const names = sections[shstrndx];
  if (names && names.type !== SHT_NOBITS && names.offset < fileSize) {
    nameSections(sections, read(names.offset, Math.min(names.size, MAX_STRTAB_BYTES, fileSize - names.offset)));
  }
  const fat = sections.filter(isFatbinSection).map((s) => ({ name: s.name!, offset: s.offset, size: s.size }));
  return inventoryOf(fat, fileSize, problems, (s, size, out) => walkFatbinSection(read, s.offset, size, s.name, out, maxEntries));
}

/** Copies the part of `chunk` (at file offset `at`) that overlaps [start, start + buf.length) into `buf`. */
function copyOverlap(buf: Buffer, start: number, at: number, chunk: Buffer): void {
  const from = Math.max(start, at);
  const to = Math.min(start + buf.length, at + chunk.length);
  if (from < to) chunk.copy(buf, from - start, from - at, to - at);
}

/**
 * Builds the fatbin inventory of one file from its bytes passing in order (`data`), in bounded
 * memory: at most the section table, STREAM_NAME_WINDOW bytes and the candidates' entry headers.
 */
export class ElfStreamInspector {
  readonly #size: number;
  readonly #maxEntries: number;
  readonly #head = Buffer.alloc(ELF_HEADER_BYTES);
  #headFill = 0;
  #header: ElfHeader | undefined;
  #dead = false;
  #scanner: FatbinStreamScanner | undefined;
  #table: Buffer | undefined;
  #window: Buffer | undefined;
  #windowStart = 0;
  #problem: string | undefined;

  constructor(fileSize: number, options: GpuInspectOptions = {}) {
    this.#size = fileSize;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_FATBIN_ENTRIES;
  }

  /** False once the bytes are known not to matter (not ELF, no section table). */
  get wanted(): boolean {
    return !this.#dead;
  }

  /** The file's bytes at offset `at`, in order. */
  data(at: number, chunk: Buffer): void {
    if (this.#dead) return;
    if (this.#header === undefined) {
      copyOverlap(this.#head, 0, at, chunk);
      this.#headFill = Math.max(this.#headFill, Math.min(ELF_HEADER_BYTES, at + chunk.length));
      if (this.#headFill < Math.min(ELF_HEADER_BYTES, this.#size)) {
        if (this.#headFill >= 4 && parseElfHeader(this.#head.subarray(0, 4)) === null) this.#dead = true;
        return;
      }
      if (!this.#start()) return;
      // #start fed the scanner and the copies the header's bytes.
      const skip = ELF_HEADER_BYTES - at;
      if (skip >= chunk.length) return;
      if (skip > 0) {
        at += skip;
        chunk = chunk.subarray(skip);
      }
    }
    this.#scanner!.data(at, chunk);
    if (this.#table) copyOverlap(this.#table, this.#header!.shoff, at, chunk);
    if (this.#window) copyOverlap(this.#window, this.#windowStart, at, chunk);
  }

  /** Parses the ELF header; sets up the section table and name window copies. */
  #start(): boolean {
    const h = parseElfHeader(this.#head.subarray(0, Math.min(ELF_HEADER_BYTES, this.#size)));
    if (h === null || typeof h === 'string' || h.shoff === 0) {
      this.#dead = true;
      return false;
    }
    this.#header = h;
    let tableBytes: number;
    if (h.shnum === 0) {
      // Extended numbering: the count is in section 0, known only at the end; keep up to the cap.
      // Without a readable section 0 there are no sections (as on the positional path).
      if (h.shoff + h.shentsize > this.#size) {
        this.#dead = true;
        return false;
      }
      tableBytes = Math.min(this.#size - h.shoff, MAX_TABLE_BYTES);
    } else {
      const bad = tableProblem(h, h.shnum, this.#size);
      if (bad !== undefined) {
        this.#problem = bad;
        this.#dead = true;
        return false;
      }
      tableBytes = h.shnum * h.shentsize;
    }
    this.#table = Buffer.alloc(tableBytes);
    this.#windowStart = Math.max(0, h.shoff - STREAM_NAME_WINDOW);
    this.#window = Buffer.alloc(h.shoff - this.#windowStart);
    this.#scanner = new FatbinStreamScanner(this.#maxEntries);
    copyOverlap(this.#table, h.shoff, 0, this.#head);
    copyOverlap(this.#window, this.#windowStart, 0, this.#head);
    this.#scanner.data(0, this.#head.subarray(0, Math.min(ELF_HEADER_BYTES, this.#size)));
    return true;
  }

  /** The inventory (null when not ELF or without fatbin sections); call after the last byte. */
  end(): ElfGpuInventory | null {
    if (this.#problem !== undefined) return { sections: [], entries: [], containers: 0, problems: [{ code: 'W_ELF_MALFORMED', message: this.#problem }] };
    const h = this.#header;
    if (this.#dead || !h || !this.#table || !this.#scanner) return null;
    this.#scanner.end();
    const first = parseSectionHeader(this.#table, 0, 0, h);
    const { count, shstrndx } = sectionCounts(h, first);
    const bad = tableProblem(h, count, this.#size);
    if (bad !== undefined || count * h.shentsize > this.#table.length) {
      return { sections: [], entries: [], containers: 0, problems: [{ code: 'W_ELF_MALFORMED', message: bad ?? 'section header table too large' }] };
    }
    const sections = parseSectionTable(this.#table, h, count);
    const names = sections[shstrndx];
    const win = this.#window!;
    // The name table usually ends right before the section table; names past the window stay unread.
    const named = names !== undefined && names.type !== SHT_NOBITS && names.offset >= this.#windowStart && names.offset < this.#windowStart + win.length;
    let fat: FatbinSectionInfo[];
    if (named) {
      const from = names.offset - this.#windowStart;
      nameSections(sections, win.subarray(from, from + Math.min(names.size, MAX_STRTAB_BYTES, this.#size - names.offset)));
      fat = sections.filter(isFatbinSection).map((s) => ({ name: s.name!, offset: s.offset, size: s.size }));
    } else {
      // Names out of reach: a fatbin section is one that starts with a well-formed container.
      const cs = this.#scanner.containers;
      fat = sections
        .filter((s) => s.type !== SHT_NOBITS && s.size > 0 && cs.get(s.offset)?.error === undefined && cs.has(s.offset))
        .map((s) => ({ name: UNNAMED_FATBIN_SECTION, offset: s.offset, size: s.size }));
    }
    const containers = this.#scanner.containers;
    return inventoryOf(fat, this.#size, [], (s, size, out) => reconcileSection(containers, s.offset, size, s.name, out, this.#maxEntries));
  }
}

/** Per-architecture totals of one kind of entry in one file. */
export interface GpuArchTotals {
  kind: FatbinKind;
  sm: number;
  entries: number;
  /** Stored bytes: entry headers plus (padded, possibly compressed) payloads. */
  bytes: number;
  /** Payload bytes once decompressed. */
  uncompressedBytes: number;
  /** Entries stored compressed. */
  compressedEntries: number;
}

/** What the layer scan keeps about one file's fat binaries. */
export interface GpuFileSummary {
  /** Bytes of the fatbin sections (what `readelf -S` shows). */
  fatbinBytes: number;
  sections: Array<{ name: string; size: number }>;
  archs: GpuArchTotals[];
  problems?: GpuProblem[] | undefined;
}

/** Rolls one file's entries up by kind and architecture (sorted: sass first, then by sm). */
export function summarizeInventory(inv: ElfGpuInventory): GpuFileSummary {
  const by = new Map<string, GpuArchTotals>();
  for (const e of inv.entries) {
    const key = `${e.kind}:${e.sm}`;
    let t = by.get(key);
    if (!t) by.set(key, (t = { kind: e.kind, sm: e.sm, entries: 0, bytes: 0, uncompressedBytes: 0, compressedEntries: 0 }));
    t.entries++;
    t.bytes += e.headerBytes + e.payloadBytes;
    t.uncompressedBytes += e.uncompressedBytes;
    if (e.compression !== 'none') t.compressedEntries++;
  }
  const order: Record<FatbinKind, number> = { sass: 0, ptx: 1, other: 2 };
  const archs = [...by.values()].sort((a, b) => order[a.kind] - order[b.kind] || a.sm - b.sm);
  const out: GpuFileSummary = {
    fatbinBytes: inv.sections.reduce((n, s) => n + s.size, 0),
    sections: inv.sections.map((s) => ({ name: s.name, size: s.size })),
    archs,
  };
  if (inv.problems.length > 0) out.problems = inv.problems;
  return out;
}
