/**
 * A fast decoder for the common case: a POSIX ustar header ("ustar\0" "00") with plain octal
 * fields, a valid unsigned checksum, a known type flag and clean NUL-terminated strings. It
 * returns exactly the fields node-tar's `Header` would (a property test holds it to that), and
 * `undefined` for anything else, so node-tar's decoder stays the authority on every odd header
 * (base-256 numbers, GNU and v7 formats, signed checksums, garbage after NULs).
 * Why: node-tar's general decoder costs ~5 µs a header (it decodes dates, uname, gname and more);
 * with 200k entries that was most of the fast path's time (BENCHMARKS.md).
 */
import { types } from 'tar';

/** The Header fields the header state machine reads. */
export interface HeaderFields {
  nullBlock: boolean;
  cksumValid: boolean;
  cksum?: number | undefined;
  size?: number | undefined;
  typeKey: string;
  type: string;
  path?: string | undefined;
  linkpath?: string | undefined;
  mode?: number | undefined;
}

/** Offsets of the numeric fields node-tar decodes: mode uid gid size mtime devmajor devminor atime ctime. */
const NUMERIC_FIELDS = [100, 108, 116, 124, 136, 329, 337, 476, 488];

const MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]; // "ustar\0" "00"

/** Parses a NUL/space-terminated octal field; -1 when it is not plain octal. */
function octal(buf: Buffer, off: number, len: number): number {
  let i = off;
  const end = off + len;
  while (i < end && buf[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x37) {
      v = v * 8 + (c - 0x30);
      digits++;
    } else break;
  }
  if (digits === 0) return -1;
  // the rest must be terminators only (NUL or space); node-tar's parse would differ otherwise
  for (; i < end; i++) {
    const c = buf[i];
    if (c !== 0 && c !== 0x20) return -1;
  }
  return v;
}

/** A NUL-terminated string field; undefined when bytes follow the NUL (node-tar keeps some). */
function str(buf: Buffer, off: number, len: number): string | undefined {
  const end = off + len;
  let n = off;
  let ascii = true;
  while (n < end && buf[n] !== 0) {
    if (buf[n]! >= 0x80) ascii = false;
    n++;
  }
  for (let i = n; i < end; i++) if (buf[i] !== 0) return undefined;
  if (n === off) return '';
  return buf.toString(ascii ? 'latin1' : 'utf8', off, n);
}

/**
 * Sum of the header's bytes except the checksum field (bytes 148–155). Four bytes at a time when
 * the block is 4-byte aligned in memory (the positional walker's windows always are): two 16-bit
 * lanes of byte pairs, which cannot overflow in 128 words (128 × 2 × 255 < 65536).
 */
function byteSumOutsideChecksum(buf: Buffer, off: number): number {
  const at = buf.byteOffset + off;
  if ((at & 3) !== 0 || off + 512 > buf.length) {
    let sum = 0;
    for (let i = 0; i < 148; i++) sum += buf[off + i]!;
    for (let i = 156; i < 512; i++) sum += buf[off + i]!;
    return sum;
  }
  const w = new Uint32Array(buf.buffer, at, 128);
  let lanes = 0;
  for (let i = 0; i < 37; i++) {
    const x = w[i]!;
    lanes += (x & 0x00ff00ff) + ((x >>> 8) & 0x00ff00ff);
  }
  for (let i = 39; i < 128; i++) {
    const x = w[i]!;
    lanes += (x & 0x00ff00ff) + ((x >>> 8) & 0x00ff00ff);
  }
  return (lanes & 0xffff) + (lanes >>> 16);
}

/** Decodes a plain ustar header block, or returns undefined to let node-tar decide. */
export function fastHeader(buf: Buffer, off: number, longPath: string | undefined): HeaderFields | undefined {
  if (buf[off] === 0) return undefined;
  for (let i = 0; i < 8; i++) if (buf[off + 257 + i] !== MAGIC[i]) return undefined;
  const sum = 8 * 0x20 + byteSumOutsideChecksum(buf, off);
  // node-tar reads the checksum from a 12-byte window cut at the first NUL
  const ck = buf.indexOf(0, off + 148);
  if (ck < 0 || ck >= off + 156) return undefined;
  const cksum = octal(buf, off + 148, ck - (off + 148));
  if (cksum !== sum) return undefined;
  // base-256 numbers (high bit set) are node-tar's to parse (or reject) in every numeric field
  for (const f of NUMERIC_FIELDS) if (buf[off + f]! & 0x80) return undefined;
  let size = octal(buf, off + 124, 12);
  const mode = octal(buf, off + 100, 8);
  if (size < 0 || mode < 0) return undefined;
  const flag = buf[off + 156]!;
  let typeKey = flag === 0 ? '0' : String.fromCharCode(flag);
  if (!types.name.has(typeKey as never)) return undefined;
  const name = str(buf, off, 100);
  const linkpath = str(buf, off + 157, 100);
  const wide = buf[off + 475] !== 0;
  const prefix = str(buf, off + 345, wide ? 155 : 130);
  if (name === undefined || linkpath === undefined || prefix === undefined) return undefined;
  if (!wide) {
    // node-tar reads atime/ctime there; only plain octal or empty keeps us identical
    if ((buf[off + 476] !== 0 && octal(buf, off + 476, 12) < 0) || (buf[off + 488] !== 0 && octal(buf, off + 488, 12) < 0)) return undefined;
  }
  // old tars marked directories as files with a trailing '/'; node-tar applies that to the real
  // (pax or GNU long) name when one is given, else to the name field
  const isNormal = types.normalFsTypes.has(typeKey as never);
  if (typeKey === '0' && ((isNormal && longPath !== undefined ? longPath : name).endsWith('/'))) typeKey = '5';
  if (typeKey === '5') size = 0;
  const base = isNormal && longPath !== undefined ? longPath : name;
  return {
    nullBlock: false,
    cksumValid: true,
    cksum,
    size,
    typeKey,
    type: types.name.get(typeKey as never) as string,
    path: prefix === '' ? base : `${prefix}/${base}`,
    linkpath,
    mode,
  };
}
