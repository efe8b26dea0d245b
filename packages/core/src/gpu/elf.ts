/**
 * The few parts of an ELF file the GPU inventory needs: the file header and the section header
 * table (names, offsets, sizes). Pure functions over buffers; 32/64-bit, both byte orders.
 * Reference: the System V gABI, "ELF Header" and "Sections" (extended numbering included).
 */

/** Bytes of the largest ELF file header (ELFCLASS64). */
export const ELF_HEADER_BYTES = 64;
/** Section type of sections without file bytes (.bss). */
export const SHT_NOBITS = 8;
const SHN_XINDEX = 0xffff;

/** What an ELF file header says about the section header table. */
export interface ElfHeader {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_type: 1 relocatable, 2 executable, 3 shared object, 4 core. */
  type: number;
  machine: number;
  /** File offset of the section header table (0: none). */
  shoff: number;
  shentsize: number;
  /** Section count; 0 with shoff ≠ 0 means "in section 0's sh_size" (extended numbering). */
  shnum: number;
  /** Index of the section name string table; SHN_XINDEX means "in section 0's sh_link". */
  shstrndx: number;
}

/** One section header, with its name once resolved. */
export interface ElfSection {
  index: number;
  nameOffset: number;
  name?: string | undefined;
  type: number;
  offset: number;
  size: number;
  link: number;
}

/** True when `buf` starts with the ELF magic `\x7fELF`. */
export function isElf(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

function u16(buf: Buffer, off: number, le: boolean): number {
  return le ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
}
function u32(buf: Buffer, off: number, le: boolean): number {
  return le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
}
/** A 64-bit field as a number, or -1 when it does not fit a safe integer. */
function u64(buf: Buffer, off: number, le: boolean): number {
  const v = le ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

/**
 * Returns the ELF header of `buf` (the first bytes of a file, at least 52/64), or a problem
 * string when the bytes start like ELF but the header is unusable; null when not ELF at all.
 */
export function parseElfHeader(buf: Buffer): ElfHeader | string | null {
  if (!isElf(buf)) return null;
  if (buf.length < 52) return 'file header truncated';
  const cls = buf[4];
  const data = buf[5];
  if (cls !== 1 && cls !== 2) return `unknown ELF class ${cls}`;
  if (data !== 1 && data !== 2) return `unknown ELF data encoding ${data}`;
  const le = data === 1;
  const bits = cls === 2 ? 64 : 32;
  if (bits === 64 && buf.length < 64) return 'file header truncated';
  const type = u16(buf, 16, le);
  const machine = u16(buf, 18, le);
  const shoff = bits === 64 ? u64(buf, 40, le) : u32(buf, 32, le);
  const at = bits === 64 ? 58 : 46;
  const shentsize = u16(buf, at, le);
  const shnum = u16(buf, at + 2, le);
  const shstrndx = u16(buf, at + 4, le);
  if (shoff < 0) return 'section header offset out of range';
  const minEnt = bits === 64 ? 64 : 40;
  if (shoff !== 0 && shentsize < minEnt) return `section header entry size ${shentsize} < ${minEnt}`;
  return { bits, littleEndian: le, type, machine, shoff, shentsize, shnum, shstrndx };
}

/** Parses the section header at `off` of `buf` (index `index`); null when a field is out of range. */
export function parseSectionHeader(buf: Buffer, off: number, index: number, h: ElfHeader): ElfSection | null {
  const le = h.littleEndian;
  if (h.bits === 64) {
    if (off + 64 > buf.length) return null;
    const offset = u64(buf, off + 24, le);
    const size = u64(buf, off + 32, le);
    if (offset < 0 || size < 0) return null;
    return { index, nameOffset: u32(buf, off, le), type: u32(buf, off + 4, le), offset, size, link: u32(buf, off + 40, le) };
  }
  if (off + 40 > buf.length) return null;
  return { index, nameOffset: u32(buf, off, le), type: u32(buf, off + 4, le), offset: u32(buf, off + 16, le), size: u32(buf, off + 20, le), link: u32(buf, off + 24, le) };
}

/** Section count and name-table index after extended numbering, given section 0 when it is needed. */
export function sectionCounts(h: ElfHeader, first: ElfSection | null): { count: number; shstrndx: number } {
  const count = h.shnum === 0 && h.shoff !== 0 ? (first?.size ?? 0) : h.shnum;
  const shstrndx = h.shstrndx === SHN_XINDEX ? (first?.link ?? 0) : h.shstrndx;
  return { count, shstrndx };
}

/** Parses `count` section headers from `table` (the bytes at `shoff`); stops at the first unreadable one. */
export function parseSectionTable(table: Buffer, h: ElfHeader, count: number): ElfSection[] {
  const out: ElfSection[] = [];
  for (let i = 0; i < count; i++) {
    const s = parseSectionHeader(table, i * h.shentsize, i, h);
    if (!s) break;
    out.push(s);
  }
  return out;
}

/** The NUL-terminated string at `off` of `buf` (latin1), or undefined when it does not end inside `buf`. */
export function cString(buf: Buffer, off: number, max = 256): string | undefined {
  if (off < 0 || off >= buf.length) return undefined;
  const end = buf.indexOf(0, off);
  if (end < 0 || end - off > max) return undefined;
  return buf.toString('latin1', off, end);
}

/** Fills `name` of every section from the section name table bytes `strtab`. */
export function nameSections(sections: ElfSection[], strtab: Buffer): void {
  for (const s of sections) s.name = cString(strtab, s.nameOffset);
}
