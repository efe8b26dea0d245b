/**
 * Hand-built ELF files with fatbin sections, for tests and fuzzing (not part of the public API).
 * Layout as GNU ld writes it: header, sections, `.shstrtab` last, then the section header table.
 */

/** One fatbin entry to build. */
export interface FatbinEntrySpec {
  kind: 'ptx' | 'sass' | number;
  sm: number;
  /** Payload as stored (already "compressed" when `compression` is set). */
  payload: Buffer;
  compression?: 'lz4' | 'zstd' | undefined;
  /** Recorded uncompressed size (compressed entries). */
  uncompressedBytes?: number | undefined;
  /** Entry header size: 64 (default), 72/80 (PTX), 112 (sm_100+ SASS). */
  headerBytes?: number | undefined;
}

/** Builds one fatbin container (16-byte header + entries, payloads padded to 8). */
export function buildFatbinContainer(entries: readonly FatbinEntrySpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const hb = e.headerBytes ?? 64;
    const padded = Math.ceil(e.payload.length / 8) * 8;
    const h = Buffer.alloc(hb);
    h.writeUInt16LE(e.kind === 'ptx' ? 1 : e.kind === 'sass' ? 2 : e.kind, 0);
    h.writeUInt16LE(0x0101, 2);
    h.writeUInt32LE(hb, 4);
    h.writeBigUInt64LE(BigInt(padded), 8);
    h.writeUInt16LE(8, 24); // minor
    h.writeUInt16LE(11, 26); // major
    h.writeUInt32LE(e.sm, 28);
    let flags = 0x11n; // 64-bit, linux
    if (e.compression === 'lz4') flags |= 0x2000n;
    if (e.compression === 'zstd') flags |= 0x8000n;
    h.writeBigUInt64LE(flags, 40);
    if (e.compression) {
      h.writeUInt32LE(e.payload.length, 16);
      h.writeBigUInt64LE(BigInt(e.uncompressedBytes ?? e.payload.length * 3), 56);
    }
    parts.push(h, e.payload, Buffer.alloc(padded - e.payload.length));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(16);
  head.writeUInt32LE(0xba55ed50, 0);
  head.writeUInt16LE(1, 4);
  head.writeUInt16LE(16, 6);
  head.writeBigUInt64LE(BigInt(body.length), 8);
  return Buffer.concat([head, body]);
}

/** One section to place in a built ELF file. */
export interface SectionSpec {
  name: string;
  data: Buffer;
  /** Section type (default 1, PROGBITS). */
  type?: number | undefined;
}

/**
 * Builds a little-endian ELF64 shared object holding `sections` (each aligned to 8), then
 * `.shstrtab`, then the section header table; `pad` bytes of zeros go before the first section.
 */
export function buildElf(sections: readonly SectionSpec[], options: { pad?: number; shstrtabFirst?: boolean } = {}): Buffer {
  const names: SectionSpec[] = [...sections];
  const strParts: Buffer[] = [Buffer.alloc(1)];
  let strLen = 1;
  const nameOff = new Map<string, number>();
  for (const n of [...names.map((s) => s.name), '.shstrtab']) {
    if (nameOff.has(n)) continue;
    nameOff.set(n, strLen);
    const b = Buffer.from(`${n}\0`, 'latin1');
    strParts.push(b);
    strLen += b.length;
  }
  const shstrtab: SectionSpec = { name: '.shstrtab', data: Buffer.concat(strParts), type: 3 };
  const all = options.shstrtabFirst ? [shstrtab, ...names] : [...names, shstrtab];
  const chunks: Buffer[] = [];
  let off = 64 + (options.pad ?? 0);
  const placed: Array<{ spec: SectionSpec; offset: number }> = [];
  chunks.push(Buffer.alloc(off));
  for (const s of all) {
    const aligned = Math.ceil(off / 8) * 8;
    if (aligned > off) chunks.push(Buffer.alloc(aligned - off));
    off = aligned;
    placed.push({ spec: s, offset: off });
    chunks.push(s.data);
    off += s.data.length;
  }
  const shoff = Math.ceil(off / 8) * 8;
  if (shoff > off) chunks.push(Buffer.alloc(shoff - off));
  const table = Buffer.alloc(64 * (placed.length + 1));
  placed.forEach((p, i) => {
    const at = 64 * (i + 1);
    table.writeUInt32LE(nameOff.get(p.spec.name)!, at);
    table.writeUInt32LE(p.spec.type ?? 1, at + 4);
    table.writeBigUInt64LE(BigInt(p.offset), at + 24);
    table.writeBigUInt64LE(BigInt(p.spec.data.length), at + 32);
  });
  chunks.push(table);
  const file = Buffer.concat(chunks);
  file.write('\x7fELF', 0, 'latin1');
  file[4] = 2; // ELFCLASS64
  file[5] = 1; // little-endian
  file[6] = 1;
  file.writeUInt16LE(3, 16); // ET_DYN
  file.writeUInt16LE(62, 18); // x86-64
  file.writeUInt32LE(1, 20);
  file.writeBigUInt64LE(BigInt(shoff), 40);
  file.writeUInt16LE(64, 52);
  file.writeUInt16LE(64, 58);
  file.writeUInt16LE(placed.length + 1, 60);
  file.writeUInt16LE(options.shstrtabFirst ? 1 : placed.length, 62);
  return file;
}

/** A `ReadAt` over a buffer. */
export function bufferReader(buf: Buffer): (offset: number, length: number) => Buffer {
  return (offset, length) => buf.subarray(Math.min(offset, buf.length), Math.min(offset + length, buf.length));
}
