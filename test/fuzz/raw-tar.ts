/**
 * A low-level tar writer for hostile inputs: every header field can be given as a number (encoded
 * as a real tar writer would) or as raw bytes (garbage, negative base-256, spaces, ...), the
 * checksum can be right, wrong, or left alone after a later edit, and pax / GNU long-name records
 * can say anything. tar-stream's `pack` refuses most of this, which is why this exists.
 */

export const BLOCK = 512;

/** A header field: a number (octal, or base-256 when it does not fit), or exact bytes. */
export type Field = number | bigint | Buffer | string;

export interface RawHeader {
  name: string | Buffer;
  mode?: Field;
  uid?: Field;
  gid?: Field;
  size?: Field;
  mtime?: Field;
  /** Type flag byte: '0' file, '5' dir, '2' symlink, '1' hardlink, 'x' pax, 'g' global pax, 'L' / 'K' GNU. */
  type?: string;
  linkname?: string | Buffer;
  /** 'ustar' (POSIX, default), 'gnu' ("ustar  \0"), 'v7' (no magic). */
  magic?: 'ustar' | 'gnu' | 'v7';
  prefix?: string | Buffer;
  /** 'ok' (default), 'bad' (off by one), or a number written as the checksum field. */
  checksum?: 'ok' | 'bad' | number;
}

function put(block: Buffer, off: number, len: number, v: Field | undefined): void {
  if (v === undefined) return;
  if (Buffer.isBuffer(v)) {
    v.copy(block, off, 0, Math.min(len, v.length));
    return;
  }
  if (typeof v === 'string') {
    block.write(v.slice(0, len), off, 'latin1');
    return;
  }
  const n = BigInt(v);
  const digits = len - 1;
  if (n >= 0n && n < 8n ** BigInt(digits)) {
    block.write(`${n.toString(8).padStart(digits, '0')}\0`, off, 'latin1');
    return;
  }
  // base-256 (GNU): high bit of the first byte set, two's complement big-endian.
  let x = n < 0n ? (1n << BigInt(len * 8)) + n : n;
  for (let i = len - 1; i >= 0; i--) {
    block[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  block[off] = block[off]! | 0x80;
}

/** Computes the checksum of a header block (bytes as unsigned, checksum field as spaces). */
export function checksumOf(block: Buffer, off = 0): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[off + i]!;
  return sum;
}

/** Writes the checksum field of the header block at `off` (after editing it). */
export function fixChecksum(buf: Buffer, off: number): void {
  buf.write(`${checksumOf(buf, off).toString(8).padStart(6, '0')}\0 `, off + 148, 'latin1');
}

/** One 512-byte header block. */
export function headerBlock(h: RawHeader): Buffer {
  const b = Buffer.alloc(BLOCK);
  const name = Buffer.isBuffer(h.name) ? h.name : Buffer.from(h.name, 'utf8');
  name.copy(b, 0, 0, Math.min(100, name.length));
  put(b, 100, 8, h.mode ?? 0o644);
  put(b, 108, 8, h.uid ?? 0);
  put(b, 116, 8, h.gid ?? 0);
  put(b, 124, 12, h.size ?? 0);
  put(b, 136, 12, h.mtime ?? 0);
  b.write(h.type ?? '0', 156, 'latin1');
  if (h.linkname !== undefined) {
    const l = Buffer.isBuffer(h.linkname) ? h.linkname : Buffer.from(h.linkname, 'utf8');
    l.copy(b, 157, 0, Math.min(100, l.length));
  }
  const magic = h.magic ?? 'ustar';
  if (magic === 'ustar') b.write('ustar\x0000', 257, 'latin1');
  else if (magic === 'gnu') b.write('ustar  \0', 257, 'latin1');
  if (h.prefix !== undefined) {
    const p = Buffer.isBuffer(h.prefix) ? h.prefix : Buffer.from(h.prefix, 'utf8');
    p.copy(b, 345, 0, Math.min(155, p.length));
  }
  const cs = h.checksum ?? 'ok';
  if (cs === 'ok') fixChecksum(b, 0);
  else if (cs === 'bad') b.write(`${(checksumOf(b) + 1).toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  else b.write(`${cs.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** Zero padding up to the next block boundary. */
export function padding(n: number): Buffer {
  const r = n % BLOCK;
  return r === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - r);
}

/** Header + payload + padding of one entry; `size` defaults to the payload length. */
export function entry(h: RawHeader, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  return Buffer.concat([headerBlock({ size: body.length, ...h }), body, padding(body.length)]);
}

/** One pax record, `"<len> key=value\n"` with a correct length unless `len` is given. */
export function paxRecord(key: string, value: string, len?: number | string): string {
  if (len !== undefined) return `${len} ${key}=${value}\n`;
  const body = ` ${key}=${value}\n`;
  let n = Buffer.byteLength(body) + 1;
  while (String(n).length + Buffer.byteLength(body) !== n) n = String(n).length + Buffer.byteLength(body);
  return `${n}${body}`;
}

/** A pax extended header entry ('x', or 'g' for global) with the given records text. */
export function paxEntry(records: string, type: 'x' | 'g' = 'x'): Buffer {
  return entry({ name: 'PaxHeader/x', type }, records);
}

/** A GNU long name ('L') or long link ('K') record. */
export function gnuLong(kind: 'L' | 'K', value: string | Buffer): Buffer {
  const v = Buffer.isBuffer(value) ? value : Buffer.from(`${value}\0`, 'utf8');
  return entry({ name: '././@LongLink', type: kind, magic: 'gnu' }, v);
}

/** The end-of-archive marker. */
export function endMarker(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}

/** A simple entry list → tar buffer. */
export interface SimpleEntry {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  content?: Buffer | string;
  linkname?: string;
  mode?: number;
}

const TYPE_FLAG = { file: '0', dir: '5', symlink: '2', hardlink: '1' } as const;

/** Writes a well-formed tar of simple entries (pax records for names longer than 100 bytes). */
export function simpleTar(entries: readonly SimpleEntry[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? (Buffer.isBuffer(e.content) ? e.content : Buffer.from(e.content ?? '', 'utf8')) : Buffer.alloc(0);
    let name: string | Buffer = e.name;
    if (Buffer.byteLength(e.name) > 100 || (e.linkname !== undefined && Buffer.byteLength(e.linkname) > 100)) {
      let rec = paxRecord('path', e.name);
      if (e.linkname !== undefined) rec += paxRecord('linkpath', e.linkname);
      parts.push(paxEntry(rec));
      name = Buffer.from(e.name, 'utf8').subarray(0, 100);
    }
    parts.push(entry({ name, type: TYPE_FLAG[type], mode: e.mode ?? (type === 'dir' ? 0o755 : 0o644), linkname: e.linkname }, body));
  }
  if (end) parts.push(endMarker());
  return Buffer.concat(parts);
}

/** Offsets of the header blocks of a well-formed tar (stops at the end marker or on garbage). */
export function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  let off = 0;
  while (off + BLOCK <= tar.length) {
    const b = tar.subarray(off, off + BLOCK);
    if (b.every((x) => x === 0)) break;
    out.push(off);
    const sizeText = b.toString('latin1', 124, 136).replace(/[\0 ]+$/, '').trim();
    const size = /^[0-7]+$/.test(sizeText) ? parseInt(sizeText, 8) : 0;
    const t = String.fromCharCode(b[156]!);
    const payload = t === '5' || t === '1' ? 0 : size;
    off += BLOCK + Math.ceil(payload / BLOCK) * BLOCK;
  }
  return out;
}
