/**
 * Tar header decoding and the header/metadata state machine shared by both walkers.
 *
 * The walkers only move bytes around (chunks for the stream walker, positional reads for the
 * positional walker); every decision about what a 512-byte block means — entry, pax / GNU
 * metadata record, zero block, end of archive — and every limit, warning and error message
 * lives here, so both walkers report exactly the same things for the same bytes.
 *
 * Interpretation choices (documented because tar implementations disagree):
 * - Header fields are decoded by node-tar's `Header` (octal, base-256, ustar prefix, checksum).
 *   Old tars that computed the checksum over signed bytes are accepted too (as GNU tar does).
 * - `x` (and Solaris `X`) pax records apply to the next entry only; several are merged, later
 *   keys win (node-tar `Pax.parse`). `g` global records are parsed and kept, but their `path`,
 *   `linkpath` and `size` are not applied to entries (like Go's archive/tar, which containerd
 *   and docker use, and node-tar for path/linkpath): a global size would desynchronise the stream.
 * - GNU `L` (and old `N`) long names / `K` long links apply to the next entry; a pax `path` /
 *   `linkpath` for the same entry wins over them regardless of order (Go's archive/tar order).
 * - Metadata records never apply to other metadata records (an `x` before an `L` does not
 *   change the `L` record's size).
 * - Directories and hardlinks have no payload: their size is reported as 0 whatever the header
 *   says (GNU tar 1.34 skips nothing after either; Go's archive/tar, used by docker and
 *   containerd, neither; node-tar agrees for directories). Every other type, including symlinks,
 *   devices and FIFOs, owns `size` payload bytes as recorded (GNU tar and node-tar; Go would skip
 *   nothing for those, but Go writers never record a size for them).
 * - A regular-file entry whose name ends in `/` is a directory (old tars; node-tar does this).
 * - End of archive is two consecutive zero blocks. A lone zero block followed by a non-zero
 *   block produces a warning and parsing continues with that block as a header. (GNU tar 1.34
 *   prints the same "lone zero block" warning but then stops reading; Go's archive/tar fails.
 *   Continuing keeps every byte of such an archive visible to the analysis.)
 * - Bytes after the end marker are ignored; if any of the first TRAILING_CHECK_BYTES of them is
 *   non-zero, a warning is added (tar writers pad with zeros up to their record size).
 * - A header block that fails the checksum is E_BAD_TAR, except for the very first block of the
 *   stream when it has no ustar magic either, which is E_NOT_AN_ARCHIVE.
 */

import { Header, Pax } from 'tar';
import { ImgsizeError } from '../errors.js';
import { fastHeader, type HeaderFields } from './fast-header.js';
import { limitError } from '../limits.js';
import type { TarEntryHeader, TarEntryType, TarLimits } from './types.js';
import { DEFAULT_TAR_LIMITS } from './types.js';

/** Size of a tar block. */
export const BLOCK_SIZE = 512;

/** How many bytes after the end-of-archive marker are checked for non-zero data. */
export const TRAILING_CHECK_BYTES = 16 * 1024;

/** Old GNU sparse files list 21 segments per extension block; this bounds a map at ~21M. */
const MAX_SPARSE_EXTENSION_BLOCKS = 1_000_000;

/** An octal (or GNU base-256) numeric field, or undefined when it is neither. */
function gnuNumber(buf: Buffer, off: number, len: number): number | undefined {
  if (buf[off]! & 0x80) {
    let v = 0;
    for (let i = 1; i < len; i++) v = v * 256 + buf[off + i]!;
    return Number.isSafeInteger(v) ? v : undefined;
  }
  const t = buf.toString('latin1', off, off + len).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) return undefined;
  const v = parseInt(t, 8);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** The GNU.sparse.* records that name and size a PAX sparse file (formats 0.0, 0.1 and 1.0). */
function paxSparseOf(text: string): { name?: string | undefined; realSize?: number | undefined } {
  const out: { name?: string | undefined; realSize?: number | undefined } = {};
  for (const line of text.split('\n')) {
    const m = /^\d+ GNU\.sparse\.(name|realsize|size)=(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'name') out.name = m[2];
    else if (/^\d+$/.test(m[2]!) && Number.isSafeInteger(Number(m[2]))) out.realSize = Number(m[2]);
  }
  return out;
}

/** Name field (with its NUL) of the eStargz table-of-contents entry. */
const ESTARGZ_TOC_NAME = Buffer.from('stargz.index.json\0', 'latin1');

/** `TarHeaderState.block` results. */
export const BLOCK_ENTRY = 1;
export const BLOCK_META = 2;
export const BLOCK_ZERO = 3;
export const BLOCK_END = 4;
/** The block belonged to the entry being read (a GNU sparse extension block): nothing to do. */
export const BLOCK_SKIP = 5;
export type BlockResult = typeof BLOCK_ENTRY | typeof BLOCK_META | typeof BLOCK_ZERO | typeof BLOCK_END | typeof BLOCK_SKIP;

/** Rounds a payload size up to the next block boundary. */
export function padded(size: number): number {
  const rem = size % BLOCK_SIZE;
  return rem === 0 ? size : size + (BLOCK_SIZE - rem);
}

/** Merges partial limits over the defaults. */
export function resolveLimits(limits: Partial<TarLimits> | undefined): TarLimits {
  return limits === undefined ? DEFAULT_TAR_LIMITS : { ...DEFAULT_TAR_LIMITS, ...limits };
}

const TYPE_MAP: ReadonlyMap<string, TarEntryType> = new Map<string, TarEntryType>([
  ['File', 'file'],
  ['OldFile', 'file'],
  ['ContiguousFile', 'file'],
  ['Directory', 'dir'],
  ['SymbolicLink', 'symlink'],
  ['Link', 'hardlink'],
  ['CharacterDevice', 'char'],
  ['BlockDevice', 'block'],
  ['FIFO', 'fifo'],
]);

/** Maps a node-tar type name to imgsize's entry type. */
export function mapEntryType(name: string): TarEntryType {
  return TYPE_MAP.get(name) ?? 'other';
}

const META_NONE = 0;
const META_PAX = 1;
const META_GLOBAL = 2;
const META_LONG_NAME = 3;
const META_LONG_LINK = 4;
type MetaKind = typeof META_NONE | typeof META_PAX | typeof META_GLOBAL | typeof META_LONG_NAME | typeof META_LONG_LINK;

/** Meta record kind by raw type flag (node-tar treats `X` like `x` and `N` like `L`). */
function metaKindOf(typeKey: string): MetaKind {
  switch (typeKey) {
    case 'x':
    case 'X':
      return META_PAX;
    case 'g':
      return META_GLOBAL;
    case 'L':
    case 'N':
      return META_LONG_NAME;
    case 'K':
      return META_LONG_LINK;
    default:
      return META_NONE;
  }
}

function hasUstarMagic(buf: Buffer, off: number): boolean {
  // "ustar" at 257, followed by NUL (POSIX) or space (GNU).
  return (
    buf[off + 257] === 0x75 &&
    buf[off + 258] === 0x73 &&
    buf[off + 259] === 0x74 &&
    buf[off + 260] === 0x61 &&
    buf[off + 261] === 0x72
  );
}

/** Checksum computed over signed bytes (some historic tars); the cksum field counts as spaces. */
function signedChecksum(buf: Buffer, off: number): number {
  let sum = 8 * 0x20;
  for (let i = off; i < off + 148; i++) sum += (buf[i]! << 24) >> 24;
  for (let i = off + 156; i < off + BLOCK_SIZE; i++) sum += (buf[i]! << 24) >> 24;
  return sum;
}

/** True when every byte of buf[start, end) is zero. */
export function isZeroRange(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** True when the size field is empty (all NULs / spaces), which old tars write for "no data". */
function blankSizeField(buf: Buffer, off: number): boolean {
  for (let i = off + 124; i < off + 136; i++) {
    const b = buf[i];
    if (b !== 0 && b !== 0x20) return false;
  }
  return true;
}

/**
 * Decodes one 512-byte header block at `buf[off]` with node-tar's `Header`. Throws E_BAD_TAR when
 * node-tar cannot decode it (e.g. an invalid base-256 number); checksum and size are not checked
 * here (see TarHeaderState).
 */
export function decodeHeaderBlock(buf: Buffer, off: number, at: number, longPath?: string): HeaderFields {
  if (buf.length < off + BLOCK_SIZE) {
    throw new ImgsizeError('E_TRUNCATED', `tar header at offset ${at}: need ${BLOCK_SIZE} bytes`);
  }
  try {
    // node-tar turns a regular file whose name ends in '/' into a directory (old tars marked
    // directories so) and zeroes its size. With a pax or GNU long name, the 100-byte name field is
    // only a truncated stand-in that may end in '/': the rule must look at the real name.
    const fast = fastHeader(buf, off, longPath);
    if (fast) return fast;
    return longPath === undefined ? new Header(buf, off) : new Header(buf, off, { path: longPath });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ImgsizeError('E_BAD_TAR', `tar header at offset ${at}: ${msg.toLowerCase()}`, { cause: e });
  }
}

/** Builds the E_TRUNCATED / E_NOT_AN_ARCHIVE error a walker reports when its input stops early. */
export function truncatedError(
  where: 'empty' | 'header' | 'meta' | 'payload' | 'padding' | 'marker' | 'zero',
  offset: number,
  name?: string,
): ImgsizeError {
  switch (where) {
    case 'empty':
      return new ImgsizeError('E_NOT_AN_ARCHIVE', 'not a tar archive: the input is empty');
    case 'header':
      return new ImgsizeError('E_TRUNCATED', `unexpected end of archive inside the tar header at offset ${offset}`);
    case 'meta':
      return new ImgsizeError('E_TRUNCATED', `unexpected end of archive inside the metadata record at offset ${offset}`);
    case 'payload':
      return new ImgsizeError(
        'E_TRUNCATED',
        `unexpected end of archive inside the data of ${JSON.stringify(name ?? '')} at offset ${offset}`,
      );
    case 'padding':
      return new ImgsizeError('E_TRUNCATED', `unexpected end of archive inside block padding at offset ${offset}`);
    case 'zero':
      return new ImgsizeError(
        'E_TRUNCATED',
        `unexpected end of archive after a single zero block at offset ${offset} (missing end-of-archive marker)`,
      );
    case 'marker':
      return new ImgsizeError('E_TRUNCATED', `unexpected end of archive at offset ${offset} (no end-of-archive marker)`);
  }
}

function notAnArchive(cause?: unknown): ImgsizeError {
  return new ImgsizeError('E_NOT_AN_ARCHIVE', 'not a tar archive: no valid tar header at offset 0', { cause });
}

const PAX_SIZE_RE = /(?:^|\n)\d+ size=([^\n]*)/g;

/**
 * The header/metadata state machine shared by both walkers. Feed it each header block with
 * `block()`; for BLOCK_META collect `metaSize` payload bytes and pass them to `meta()`; for
 * BLOCK_ENTRY read `entry`. The caller owns payload/padding skipping (`padded(size)`).
 */
export class TarHeaderState {
  readonly limits: TarLimits;
  readonly warnings: string[] = [];
  /** Non-metadata entries seen so far. */
  entries = 0;
  /** The entry decoded by the last `block()` call that returned BLOCK_ENTRY. */
  entry: TarEntryHeader | undefined = undefined;
  /** Payload bytes of the metadata record announced by the last BLOCK_META. */
  metaSize = 0;
  /** Stream offset of the metadata record's payload. */
  metaOffset = 0;
  /** Bytes up to and including the end marker, once BLOCK_END was returned; else -1. */
  tarBytes = -1;

  #metaKind: MetaKind = META_NONE;
  #pax: Pax | undefined = undefined;
  #global: Pax | undefined = undefined;
  #longName: string | undefined = undefined;
  #longLink: string | undefined = undefined;
  #pendingMetaAt = -1;
  /** Offset of a zero block just seen (first half of a possible end marker), else -1. */
  #zeroAt = -1;
  #trailingChecked = 0;
  #trailingWarned = false;
  /** PAX sparse attributes of the next entry. */
  #paxSparse: { name?: string | undefined; realSize?: number | undefined } | undefined = undefined;
  /** An old GNU sparse entry whose extension blocks are being read. */
  #sparseEntry: TarEntryHeader | undefined = undefined;
  #sparseBlocks = 0;
  /** Bytes of the eStargz TOC name matched so far after the end marker. */
  #tocMatched = 0;
  /** True when an eStargz TOC entry follows the end marker (recognised, not warned about). */
  estargzToc = false;

  constructor(limits: TarLimits = DEFAULT_TAR_LIMITS) {
    this.limits = limits;
  }

  /** True after a lone zero block, while waiting for the block that follows it. */
  get afterZeroBlock(): boolean {
    return this.#zeroAt >= 0;
  }

  /** Global pax attributes seen so far (informational; not applied to entries). */
  get globalPax(): Pax | undefined {
    return this.#global;
  }

  /** Interprets the header block at `buf[off, off + 512)`, located at stream offset `at`. */
  block(buf: Buffer, off: number, at: number): BlockResult {
    const pending = this.#sparseEntry;
    if (pending !== undefined) {
      // Old GNU sparse extension block: 21 map entries, then `isextended` at byte 504.
      this.#sparseBlocks++;
      if (buf[off + 504] !== 0) {
        if (this.#sparseBlocks > MAX_SPARSE_EXTENSION_BLOCKS) {
          throw new ImgsizeError('E_BAD_TAR', `tar header at offset ${at}: more than ${MAX_SPARSE_EXTENSION_BLOCKS} sparse extension blocks`);
        }
        return BLOCK_SKIP;
      }
      this.#sparseEntry = undefined;
      this.entry = { ...pending, offset: at + BLOCK_SIZE };
      return BLOCK_ENTRY;
    }
    let h: HeaderFields;
    try {
      h = decodeHeaderBlock(buf, off, at, this.#pax?.path ?? this.#longName);
    } catch (e) {
      if (at === 0 && !hasUstarMagic(buf, off)) throw notAnArchive(e);
      throw e;
    }
    // A block that is zero apart from its checksum field counts as a zero block too (GNU tar).
    if (h.nullBlock || (!h.cksumValid && isZeroRange(buf, off, off + 148) && isZeroRange(buf, off + 156, off + BLOCK_SIZE))) {
      if (this.#zeroAt >= 0) {
        this.tarBytes = at + BLOCK_SIZE;
        if (this.#pendingMetaAt >= 0) {
          this.warnings.push(
            `ignoring the metadata record at offset ${this.#pendingMetaAt}: no entry follows it before the end of the archive`,
          );
        }
        return BLOCK_END;
      }
      this.#zeroAt = at;
      return BLOCK_ZERO;
    }
    if (this.#zeroAt >= 0) {
      this.warnings.push(`a lone zero block at offset ${this.#zeroAt}; continuing with the header at offset ${at}`);
      this.#zeroAt = -1;
    }
    if (!h.cksumValid && signedChecksum(buf, off) !== h.cksum) {
      if (at === 0 && !hasUstarMagic(buf, off)) throw notAnArchive();
      throw new ImgsizeError('E_BAD_TAR', `tar header at offset ${at}: checksum mismatch`);
    }
    let size = h.size;
    if (size === undefined) {
      if (!blankSizeField(buf, off)) {
        throw new ImgsizeError('E_BAD_TAR', `tar header at offset ${at}: invalid size field`);
      }
      size = 0;
    } else if (!octalFieldValid(buf, off + 124, 12)) {
      // node-tar parses the octal prefix ("0000000x123" is 0): the entry would be misframed silently.
      throw new ImgsizeError('E_BAD_TAR', `tar header at offset ${at}: invalid size field ${JSON.stringify(buf.toString('latin1', off + 124, off + 136))}`);
    }
    const typeKey = h.typeKey;
    const metaKind = metaKindOf(typeKey);
    if (metaKind !== META_NONE) {
      if (size > this.limits.maxMetaEntryBytes) {
        throw limitError(
          'maxTarMetaRecordBytes',
          this.limits.maxMetaEntryBytes,
          `tar header at offset ${at}: metadata record of ${size} bytes exceeds the limit of ${this.limits.maxMetaEntryBytes} bytes`,
        );
      }
      this.#metaKind = metaKind;
      this.metaSize = size;
      this.metaOffset = at + BLOCK_SIZE;
      if (metaKind !== META_GLOBAL) this.#pendingMetaAt = at;
      return BLOCK_META;
    }

    if (++this.entries > this.limits.maxEntries) {
      throw limitError('maxEntriesPerLayer', this.limits.maxEntries, `tar header at offset ${at}: more than ${this.limits.maxEntries} entries`);
    }
    const pax = this.#pax;
    const sparse = this.#paxSparse;
    let name = sparse?.name ?? pax?.path ?? this.#longName ?? h.path ?? '';
    let type = mapEntryType(h.type);
    if (pax?.size !== undefined) size = pax.size;
    // Sparse files (GNU 'S', PAX GNU.sparse.*): the logical size, as Go's archive/tar reports it;
    // the payload holds the data segments (and, for PAX 1.0, the map) only.
    let dataSize: number | undefined;
    let gnuExtended = false;
    if (typeKey === 'S') {
      type = 'file';
      const real = gnuNumber(buf, off + 483, 12);
      if (real === undefined) throw new ImgsizeError('E_BAD_TAR', `tar header at offset ${at}: invalid sparse real size field`);
      dataSize = size;
      size = real;
      gnuExtended = buf[off + 482] !== 0;
      // GNU headers have no ustar prefix: bytes 345.. hold times and the sparse map.
      name = this.#pax?.path ?? this.#longName ?? buf.toString('utf8', off, off + 100).replace(/\0.*$/s, '');
    } else if (sparse?.realSize !== undefined && type === 'file') {
      dataSize = size;
      size = sparse.realSize;
    }
    if (type === 'file' && (typeKey === '0' || typeKey === '') && name.endsWith('/')) type = 'dir';
    if (type === 'dir' || type === 'hardlink') size = 0;
    let linkname: string | undefined;
    if (type === 'symlink' || type === 'hardlink') {
      linkname = pax?.linkpath ?? this.#longLink ?? h.linkpath ?? '';
      if (linkname.length * 3 > this.limits.maxPathLength && Buffer.byteLength(linkname) > this.limits.maxPathLength) {
        throw limitError('maxPathLength', this.limits.maxPathLength, `tar header at offset ${at}: link target longer than ${this.limits.maxPathLength} bytes`);
      }
    }
    // UTF-8 needs at most 3 bytes per UTF-16 code unit: only measure names that could be too long.
    if (name.length * 3 > this.limits.maxPathLength && Buffer.byteLength(name) > this.limits.maxPathLength) {
      throw limitError('maxPathLength', this.limits.maxPathLength, `tar header at offset ${at}: name longer than ${this.limits.maxPathLength} bytes`);
    }
    // A name of d segments has at least 2d - 1 characters: only count the segments of long names.
    if (name.length >= 2 * this.limits.maxPathDepth + 1) {
      const depth = pathDepth(name);
      if (depth > this.limits.maxPathDepth) {
        throw limitError('maxPathDepth', this.limits.maxPathDepth, `tar header at offset ${at}: name has ${depth} path segments`);
      }
    }
    this.#pax = undefined;
    this.#paxSparse = undefined;
    this.#longName = undefined;
    this.#longLink = undefined;
    this.#pendingMetaAt = -1;
    const entry: TarEntryHeader = { name, type, size, linkname, mode: h.mode ?? 0, offset: at + BLOCK_SIZE };
    if (dataSize !== undefined) entry.dataSize = dataSize;
    if (gnuExtended) {
      this.#sparseEntry = entry;
      this.#sparseBlocks = 0;
      this.entry = undefined;
      return BLOCK_SKIP;
    }
    this.entry = entry;
    return BLOCK_ENTRY;
  }

  /** Applies the payload (exactly `metaSize` bytes) of the metadata record last announced. */
  meta(payload: Buffer): void {
    const at = this.metaOffset - BLOCK_SIZE;
    switch (this.#metaKind) {
      case META_PAX:
      case META_GLOBAL: {
        checkPaxRecords(payload, at);
        const text = payload.toString('utf8');
        checkPaxSize(text, at);
        if (this.#metaKind === META_PAX) {
          this.#pax = Pax.parse(text, this.#pax, false);
          // node-tar's Pax keeps no GNU.sparse.* keys: read the ones that name and size the file.
          if (text.includes('GNU.sparse.')) this.#paxSparse = paxSparseOf(text);
        }
        else this.#global = Pax.parse(text, this.#global, true);
        break;
      }
      case META_LONG_NAME:
      case META_LONG_LINK: {
        const nul = payload.indexOf(0);
        const value = payload.toString('utf8', 0, nul < 0 ? payload.length : nul);
        if (this.#metaKind === META_LONG_NAME) this.#longName = value;
        else this.#longLink = value;
        break;
      }
      default:
        throw new ImgsizeError('E_INTERNAL', `tar metadata at offset ${at}: no metadata record pending`);
    }
    this.#metaKind = META_NONE;
  }

  /**
   * Looks at bytes that follow the end marker (call with consecutive pieces); adds one warning
   * if any of the first TRAILING_CHECK_BYTES is non-zero. Returns how many bytes it looked at.
   */
  trailing(buf: Buffer, start: number, end: number): number {
    const n = Math.min(end - start, TRAILING_CHECK_BYTES - this.#trailingChecked);
    if (n <= 0) return 0;
    const stop = start + n;
    for (let i = start; i < stop && !this.#trailingWarned; ) {
      if (this.#tocMatched === 0 && buf[i] === 0) {
        i++;
        continue;
      }
      // eStargz written losslessly (AppendTarLossLess) appends its TOC entry `stargz.index.json`
      // after the original end marker (and its zero padding): a known layout, not garbage.
      const rel = this.#trailingChecked + (i - start);
      const k = Math.min(ESTARGZ_TOC_NAME.length - this.#tocMatched, stop - i);
      const aligned = this.#tocMatched > 0 || rel % BLOCK_SIZE === 0;
      if (aligned && buf.subarray(i, i + k).equals(ESTARGZ_TOC_NAME.subarray(this.#tocMatched, this.#tocMatched + k))) {
        this.#tocMatched += k;
        i += k;
        if (this.#tocMatched === ESTARGZ_TOC_NAME.length) {
          this.estargzToc = true;
          this.#trailingWarned = true; // known: nothing more to check
        }
        continue;
      }
      this.#trailingWarned = true;
      this.warnings.push(`ignoring non-zero data after the end-of-archive marker at offset ${this.tarBytes}`);
    }
    this.#trailingChecked += n;
    return n;
  }

  /** How many more trailing bytes `trailing()` wants to see. */
  get trailingWanted(): number {
    return this.#trailingWarned ? 0 : TRAILING_CHECK_BYTES - this.#trailingChecked;
  }
}

/**
 * True when a numeric header field is base-256, or octal digits with only spaces and NULs around
 * them (Go's archive/tar, which docker and containerd use, trims those and rejects anything else).
 */
function octalFieldValid(buf: Buffer, start: number, len: number): boolean {
  if ((buf[start]! & 0x80) !== 0) return true; // base-256: node-tar validates it
  let i = start;
  let end = start + len;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i++;
  while (end > i && (buf[end - 1] === 0x20 || buf[end - 1] === 0)) end--;
  for (; i < end; i++) if (buf[i]! < 0x30 || buf[i]! > 0x37) return false;
  return true;
}

const NUL_FREE_PAX_KEYS = new Set(['path', 'linkpath', 'uname', 'gname']);

/**
 * Rejects a pax payload that is not a sequence of `"<len> <key>=<value>\n"` records whose `<len>`
 * counts the record's bytes exactly (as Go's archive/tar does: docker could not load such a layer
 * either). node-tar would drop a malformed record silently, and with it the name or size it set.
 */
function checkPaxRecords(payload: Buffer, at: number): void {
  let i = 0;
  while (i < payload.length) {
    let j = i;
    let n = 0;
    while (j < payload.length && j - i < 20 && payload[j]! >= 0x30 && payload[j]! <= 0x39) n = n * 10 + (payload[j++]! - 0x30);
    const ok =
      j > i &&
      j < payload.length &&
      payload[j] === 0x20 &&
      n >= 5 &&
      i + n <= payload.length &&
      payload[i + n - 1] === 0x0a &&
      payload.indexOf(0x3d, j + 1) > j + 1 &&
      payload.indexOf(0x3d, j + 1) < i + n - 1;
    if (!ok) throw new ImgsizeError('E_BAD_TAR', `pax header at offset ${at}: malformed record at byte ${i}`);
    const eq = payload.indexOf(0x3d, j + 1);
    const key = payload.toString('latin1', j + 1, eq);
    // node-tar cuts values at a NUL; Go refuses names with one. A name is not silently shortened.
    if (NUL_FREE_PAX_KEYS.has(key) && payload.subarray(eq + 1, i + n - 1).includes(0)) {
      throw new ImgsizeError('E_BAD_TAR', `pax header at offset ${at}: ${key} contains a NUL byte`);
    }
    i += n;
  }
}

/** Number of segments of a path, not counting empty and `.` segments (`./a//b/` has 2). */
export function pathDepth(name: string): number {
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= name.length; i++) {
    if (i === name.length || name.charCodeAt(i) === 0x2f) {
      const len = i - start;
      if (len > 0 && !(len === 1 && name.charCodeAt(start) === 0x2e)) depth++;
      start = i + 1;
    }
  }
  return depth;
}

/** Rejects pax `size` values node-tar would silently drop (negative, NaN, non-integer, huge). */
function checkPaxSize(text: string, at: number): void {
  if (!text.includes('size=')) return;
  PAX_SIZE_RE.lastIndex = 0;
  for (let m = PAX_SIZE_RE.exec(text); m !== null; m = PAX_SIZE_RE.exec(text)) {
    const v = m[1] ?? '';
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw new ImgsizeError('E_BAD_TAR', `pax header at offset ${at}: invalid size ${JSON.stringify(v.slice(0, 40))}`);
    }
  }
}
