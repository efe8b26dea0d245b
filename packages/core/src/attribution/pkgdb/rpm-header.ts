/**
 * rpm header blobs, as every rpm database backend stores them (sqlite `Packages.blob`, BerkeleyDB
 * values, ndb blobs): no lead, no magic; `il` (index entries) and `dl` (data bytes) as big-endian
 * u32, then `il` 16-byte index entries (tag, type, offset, count), then the data store.
 * Layout: rpm's lib/header.c (headerImport) and doc/manual/format_header.md.
 * Every offset and count is checked against the blob before it is read: a hostile header is a
 * `PkgdbError`, never an out-of-bounds read or an allocation sized by the input.
 */
import { PkgdbError } from './errors.js';

/** One file an rpm package lists. */
export interface RpmFile {
  /** Absolute path as rpm records it (`/usr/bin/curl`). */
  path: string;
  /** st_mode (type and permission bits). */
  mode: number;
  /** FILESIZES (LONGFILESIZES when present): regular files their size, symlinks the target length. */
  size: number;
  /** RPMFILE_* flags (1 config, 2 doc, 64 ghost, 128 license, …). */
  flags: number;
  /** (FILEDEVICES, FILEINODES) pair, when recorded; hardlinks share it. */
  inode?: string | undefined;
}

/** A package read from one header blob. */
export interface RpmPackage {
  name: string;
  version: string;
  release: string;
  epoch?: number | undefined;
  arch?: string | undefined;
  sourceRpm?: string | undefined;
  vendor?: string | undefined;
  /** The SIZE (LONGSIZE) tag: what the packager counted, not necessarily the bytes on disk. */
  sizeTag?: number | undefined;
  files: RpmFile[];
}

/** rpm tag numbers used here (rpm's include/rpm/rpmtag.h). */
export const RPMTAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SIZE: 1009,
  VENDOR: 1011,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILESIZES: 1028,
  FILEMODES: 1030,
  FILEFLAGS: 1037,
  SOURCERPM: 1044,
  FILEDEVICES: 1095,
  FILEINODES: 1096,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  LONGFILESIZES: 5008,
  LONGSIZE: 5009,
} as const;

const TYPE = { CHAR: 1, INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18NSTRING: 9 } as const;
const WIDTH: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 };

/** Sanity bounds from rpm itself (lib/header.c: HEADER_TAGS_MAX 0xffff, HEADER_DATA_MAX 256 MiB). */
const MAX_INDEX = 0xffff;
const MAX_DATA = 256 << 20;

interface IndexEntry {
  type: number;
  offset: number;
  count: number;
}

/** A parsed header: tag lookups over the validated index. */
export class RpmHeader {
  private readonly index = new Map<number, IndexEntry>();
  private readonly data: Buffer;

  /** Parses the index of `blob`; PkgdbError (E_RPM_HEADER) when the blob is not a valid header. */
  constructor(blob: Buffer) {
    if (blob.length < 8) throw new PkgdbError('E_RPM_HEADER', `header blob of ${blob.length} bytes is shorter than its 8-byte preamble`);
    const il = blob.readUInt32BE(0);
    const dl = blob.readUInt32BE(4);
    if (il > MAX_INDEX || dl > MAX_DATA) throw new PkgdbError('E_RPM_HEADER', `header declares ${il} tags and ${dl} data bytes, past rpm's own limits`);
    const dataStart = 8 + il * 16;
    if (dataStart + dl > blob.length) {
      throw new PkgdbError('E_RPM_HEADER', `header declares ${il} tags and ${dl} data bytes but the blob has ${blob.length} bytes`);
    }
    this.data = blob.subarray(dataStart, dataStart + dl);
    for (let i = 0; i < il; i++) {
      const o = 8 + i * 16;
      const tag = blob.readUInt32BE(o);
      const type = blob.readUInt32BE(o + 4);
      const offset = blob.readInt32BE(o + 8);
      const count = blob.readUInt32BE(o + 12);
      if (offset < 0 || offset > dl) throw new PkgdbError('E_RPM_HEADER', `tag ${tag}: data offset ${offset} outside the ${dl}-byte data store`);
      const w = WIDTH[type];
      if (w !== undefined && offset + w * count > dl) {
        throw new PkgdbError('E_RPM_HEADER', `tag ${tag}: ${count} values of ${w} bytes run past the end of the data store`);
      }
      // Region tags (61–63) and the rest: kept; the first occurrence of a tag wins, as in rpm.
      if (!this.index.has(tag)) this.index.set(tag, { type, offset, count });
    }
  }

  /** True when the header has `tag`. */
  has(tag: number): boolean {
    return this.index.has(tag);
  }

  /** The first string of a STRING / I18NSTRING / STRING_ARRAY tag. */
  string(tag: number): string | undefined {
    const e = this.index.get(tag);
    if (!e || (e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING && e.type !== TYPE.STRING_ARRAY)) return undefined;
    return this.readStrings(tag, e, 1)[0];
  }

  /** All strings of a STRING_ARRAY (or STRING) tag. */
  strings(tag: number): string[] {
    const e = this.index.get(tag);
    if (!e) return [];
    if (e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.STRING && e.type !== TYPE.I18NSTRING) {
      throw new PkgdbError('E_RPM_HEADER', `tag ${tag}: expected strings, found type ${e.type}`);
    }
    return this.readStrings(tag, e, e.type === TYPE.STRING ? 1 : e.count);
  }

  /** Integer values of an INT8/16/32/64 tag (INT64 as numbers: sizes fit in 2^53). */
  ints(tag: number): number[] {
    const e = this.index.get(tag);
    if (!e) return [];
    const out = new Array<number>(e.count);
    const d = this.data;
    switch (e.type) {
      case TYPE.CHAR:
      case TYPE.INT8:
        for (let i = 0; i < e.count; i++) out[i] = d[e.offset + i]!;
        return out;
      case TYPE.INT16:
        for (let i = 0; i < e.count; i++) out[i] = d.readUInt16BE(e.offset + 2 * i);
        return out;
      case TYPE.INT32:
        for (let i = 0; i < e.count; i++) out[i] = d.readUInt32BE(e.offset + 4 * i);
        return out;
      case TYPE.INT64:
        for (let i = 0; i < e.count; i++) out[i] = Number(d.readBigUInt64BE(e.offset + 8 * i));
        return out;
      default:
        throw new PkgdbError('E_RPM_HEADER', `tag ${tag}: expected integers, found type ${e.type}`);
    }
  }

  private readStrings(tag: number, e: IndexEntry, n: number): string[] {
    const out: string[] = [];
    let p = e.offset;
    const d = this.data;
    for (let i = 0; i < n; i++) {
      const end = d.indexOf(0, p);
      if (end < 0) throw new PkgdbError('E_RPM_HEADER', `tag ${tag}: string ${i + 1} of ${n} runs past the end of the data store`);
      out.push(d.toString('utf8', p, end));
      p = end + 1;
    }
    return out;
  }
}

/**
 * Parses one header blob into a package with its file list (`withFiles: false` skips the file
 * list); PkgdbError (E_RPM_HEADER) when invalid.
 */
export function parseRpmHeader(blob: Buffer, withFiles = true): RpmPackage {
  const h = new RpmHeader(blob);
  const name = h.string(RPMTAG.NAME);
  if (name === undefined) throw new PkgdbError('E_RPM_HEADER', 'header has no NAME tag');
  if (!withFiles) return { name, version: h.string(RPMTAG.VERSION) ?? '', release: h.string(RPMTAG.RELEASE) ?? '', arch: h.string(RPMTAG.ARCH), files: [] };
  const epoch = h.ints(RPMTAG.EPOCH)[0];
  const sizeTag = h.ints(RPMTAG.LONGSIZE)[0] ?? h.ints(RPMTAG.SIZE)[0];
  let paths: string[];
  const basenames = h.strings(RPMTAG.BASENAMES);
  if (basenames.length > 0) {
    const dirnames = h.strings(RPMTAG.DIRNAMES);
    const dirindexes = h.ints(RPMTAG.DIRINDEXES);
    if (dirindexes.length !== basenames.length) {
      throw new PkgdbError('E_RPM_HEADER', `${name}: ${basenames.length} BASENAMES but ${dirindexes.length} DIRINDEXES`);
    }
    paths = basenames.map((b, i) => {
      const d = dirnames[dirindexes[i]!];
      if (d === undefined) throw new PkgdbError('E_RPM_HEADER', `${name}: DIRINDEXES[${i}] = ${dirindexes[i]} past the ${dirnames.length} DIRNAMES`);
      return d + b;
    });
  } else {
    paths = h.strings(RPMTAG.OLDFILENAMES);
  }
  const n = paths.length;
  const sizes = h.has(RPMTAG.LONGFILESIZES) ? h.ints(RPMTAG.LONGFILESIZES) : h.ints(RPMTAG.FILESIZES);
  const modes = h.ints(RPMTAG.FILEMODES);
  const flags = h.ints(RPMTAG.FILEFLAGS);
  const devices = h.ints(RPMTAG.FILEDEVICES);
  const inodes = h.ints(RPMTAG.FILEINODES);
  for (const [tag, arr] of [
    ['FILESIZES', sizes],
    ['FILEMODES', modes],
  ] as const) {
    if (n > 0 && arr.length !== n) throw new PkgdbError('E_RPM_HEADER', `${name}: ${n} files but ${arr.length} ${tag}`);
  }
  const files: RpmFile[] = paths.map((path, i) => ({
    path,
    mode: modes[i] ?? 0,
    size: sizes[i] ?? 0,
    flags: flags[i] ?? 0,
    ...(inodes.length === n && devices.length === n && { inode: `${devices[i]}:${inodes[i]}` }),
  }));
  return {
    name,
    version: h.string(RPMTAG.VERSION) ?? '',
    release: h.string(RPMTAG.RELEASE) ?? '',
    ...(epoch !== undefined && { epoch }),
    ...(h.has(RPMTAG.ARCH) && { arch: h.string(RPMTAG.ARCH) }),
    ...(h.has(RPMTAG.SOURCERPM) && { sourceRpm: h.string(RPMTAG.SOURCERPM) }),
    ...(h.has(RPMTAG.VENDOR) && { vendor: h.string(RPMTAG.VENDOR) }),
    ...(sizeTag !== undefined && { sizeTag }),
    files,
  };
}

/** `version-release`, with `epoch:` in front when the package has one (rpm's EVR). */
export function rpmEvr(p: Pick<RpmPackage, 'version' | 'release' | 'epoch'>): string {
  return `${p.epoch ? `${p.epoch}:` : ''}${p.version}${p.release ? `-${p.release}` : ''}`;
}

/** Type bits of st_mode. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFDIR = 0o040000;
